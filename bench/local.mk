# bench/local.mk - `make bench` runs bench/run against this build tree;
# `make bench-peers` runs bench/peers (nullmailer, dma, msmtp, Postfix
# unpacked from their Debian packages, never installed). Neither is part
# of `make`, `make check` or CI: they take minutes and want a quiet machine.
EXTRA_DIST += bench/README bench/RESULTS.md bench/run bench/peers \
	bench/lib.sh bench/floor.c bench/curlsend.c bench/mkspool.py bench/ratesink.py \
	bench/sqs

bench: all
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	    bash $(abs_top_srcdir)/bench/run

bench-peers: all
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	    bash $(abs_top_srcdir)/bench/peers

bench-sqs: all
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
	    $(PYTHON3) $(abs_top_srcdir)/bench/sqs

.PHONY: bench bench-peers bench-sqs
