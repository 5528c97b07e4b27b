# man/: manual pages.  mailshim-sendmail.8 is the package's sendmail(8);
# packages that register /usr/sbin/sendmail as an alternative point the
# sendmail.8 man page slave at it.
dist_man_MANS += man/mailshim.8 man/mailshim-sendmail.8 man/mailshim.conf.5
