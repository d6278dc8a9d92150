# mailscan — one Makefile, GNU make, no generated files committed.
#
#   make              build everything into $(O) (default: build/)
#   make check        deps + -Werror build + mandoc lint + fuzz smoke + bats
#   make check-asan   the same tests against an ASan+UBSan build (build-asan/)
#   make demo         a scratch pipeline on loopback ports, mail sent through it
#   make install      PREFIX=/usr/local DESTDIR=
#   make deps         install the Debian packages (as root), else print the command

O        ?= build
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc

CC       ?= cc
CFLAGS   ?= -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2
# -Wformat-truncation flags snprintf into fixed log and reply buffers, where
# cutting a long text short is intended; results that must be whole are checked.
override CFLAGS += -Wall -Wextra -Wno-format-truncation -std=c11 -D_GNU_SOURCE
PKGS     := libtls openssl libbsd-overlay libcdb zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lresolv
# The engines are linked only into the programs that use them.
CLAMAV_LIBS := $(shell pkg-config --libs libclamav 2>/dev/null)
YARA_LIBS   := $(shell pkg-config --libs yara 2>/dev/null)

LIB_SRC  := $(sort $(wildcard lib/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(O)/%.o)
BIN_SRC  := $(sort $(wildcard bin/ms-*.c))
BINS     := $(BIN_SRC:bin/%.c=$(O)/bin/%)
SCRIPTS  := $(filter-out %.c,$(wildcard bin/ms-*))
MANS     := $(sort $(wildcard man/*.[1-8]))
FUZZ_SRC := $(sort $(wildcard t/fuzz/fuzz-*.c))

all: $(BINS) $(SCRIPTS:bin/%=$(O)/bin/%)

$(O)/lib/%.o: lib/%.c lib/*.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Ilib -c -o $@ $<

$(O)/lib/libms.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(O)/bin/%: bin/%.c $(O)/lib/libms.a lib/*.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Ilib -o $@ $< $(O)/lib/libms.a $(PKG_LIBS) $(LDFLAGS) $(LIBS_$*)

# Thin shell glue is copied next to the binaries so one PATH finds both.
$(O)/bin/%: bin/%
	@mkdir -p $(@D)
	cp $< $@ && chmod 755 $@

LIBS_ms-scan-clamav = $(CLAMAV_LIBS)
LIBS_ms-scan-yara   = $(YARA_LIBS)

# Fuzz harnesses: libFuzzer with clang; each runs FUZZ_SECONDS in `make fuzz`.
FUZZ_SECONDS ?= 20
FUZZ_CC ?= clang
$(O)/fuzz/%: t/fuzz/%.c $(LIB_SRC) lib/*.h $(wildcard t/fuzz/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -std=c11 -D_GNU_SOURCE $(PKG_CFLAGS) -Ilib -o $@ $< $(LIB_SRC) $(PKG_LIBS)

fuzz: $(FUZZ_SRC:t/fuzz/%.c=$(O)/fuzz/%)
	@for f in $^; do n=$${f##*/}; mkdir -p t/fuzz/corpus-$$n; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	      t/fuzz/corpus-$$n t/fuzz/seed-$${n#fuzz-} 2>$(O)/fuzz/$$n.log \
	    || { tail -40 $(O)/fuzz/$$n.log; exit 1; }; \
	  tail -1 $(O)/fuzz/$$n.log; done

lint-man:
	mandoc -Tlint -W warning $(MANS)

# Programs only the tests use (t/*.c), e.g. the spool driver's test stage.
TEST_SRC  := $(sort $(wildcard t/*.c))
TEST_BINS := $(TEST_SRC:t/%.c=$(O)/t/%)
$(O)/t/%: t/%.c $(O)/lib/libms.a lib/*.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Ilib -o $@ $< $(O)/lib/libms.a $(PKG_LIBS) $(LDFLAGS)

BATS ?= bats
TESTS ?= t
test: all $(TEST_BINS)
	PATH="$(CURDIR)/$(O)/bin:$(CURDIR)/$(O)/t:$$PATH" MS_TOP="$(CURDIR)" $(BATS) $(BATS_FLAGS) $(TESTS)

check: deps
	$(MAKE) all CFLAGS="$(CFLAGS) -Werror"
	$(MAKE) lint-man
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)
	$(MAKE) test

ASAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
check-asan: deps
	$(MAKE) O=build-asan CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" all
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(MAKE) O=build-asan CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" test

demo: all
	MS_TOP="$(CURDIR)" PATH="$(CURDIR)/$(O)/bin:$$PATH" sh etc/demo.sh

DEB_PKGS = gcc make pkg-config libclamav-dev libyara-dev libbsd-dev libtls-dev \
	libssl-dev libcdb-dev tinycdb ucspi-tcp daemontools runit s6 mblaze mandoc \
	bats bats-assert bats-support swaks postfix clamav-testfiles clamav-daemon \
	clamsmtp dovecot-pop3d dovecot-imapd c-icap vsftpd openssl python3 clang \
	libclang-rt-14-dev libnet-ssleay-perl libio-socket-ssl-perl dnsmasq-base \
	libpython3.11-testsuite sharutils clamdscan valgrind zip \
	zlib1g-dev python3-html5lib python3-olefile qpdf iproute2
deps:
	@missing=$$(for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	cmd="apt-get install -y --no-install-recommends $$(echo $$missing)"; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "deps: installing$$(printf ' %s' $$missing)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q && $$cmd; \
	else echo "deps: as root, run: apt-get update && $$cmd"; exit 1; fi

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(BINS) $(SCRIPTS:bin/%=$(O)/bin/%) $(DESTDIR)$(BINDIR)
	for m in $(MANS); do s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s; done
	# The examples ms-setup copies from: $(PREFIX)/share/mailscan/{mailscan,sv}
	install -d $(DESTDIR)$(PREFIX)/share/mailscan
	rm -rf $(DESTDIR)$(PREFIX)/share/mailscan/mailscan $(DESTDIR)$(PREFIX)/share/mailscan/sv
	cp -R etc/mailscan etc/sv $(DESTDIR)$(PREFIX)/share/mailscan/
	# The live configuration: example files only where none exist yet.
	install -d $(DESTDIR)$(SYSCONFDIR)/mailscan
	cd etc/mailscan && find . -type d -exec install -d $(DESTDIR)$(SYSCONFDIR)/mailscan/{} \;
	cd etc/mailscan && find . -type f | while read -r f; do \
	  t=$(DESTDIR)$(SYSCONFDIR)/mailscan/$$f; \
	  if [ -e "$$t" ]; then echo "install: keeping existing $$t"; \
	  else install -m 644 "$$f" "$$t"; fi; done

clean:
	rm -rf build build-asan

.PHONY: all fuzz lint-man test check check-asan demo deps install clean
.SECONDARY:
