# package.mk: `make install` / `make uninstall` and the Debian package
# (`make deb`, `make deb-test`); included by the Makefile.
#
#   make install [PREFIX=/usr/local] [DESTDIR=]
#       $(SBINDIR)/securex-relay            the optimised build/securex-relay
#       $(MAN8DIR)/securex-relay.8          docs/securex-relay.8
#       $(UNITDIR)/securex-relay{,@}.{service,socket}
#                                           deploy/systemd, ExecStart= and
#                                           Documentation= pointed at the
#                                           installed files
#       $(DOCDIR)/README.md, docs/*.md      what the units' Documentation= names
#       $(EXAMPLESDIR)/{nginx,apache,securex,systemd}/
#                                           nginx site and snippets, Apache conf,
#                                           the SecureX module types, relay.env
#   make uninstall [PREFIX=...] [DESTDIR=]  removes exactly those files
#   make deb        build/securex-relay_<version>-1_<arch>.deb from a copy of
#                   the tree with deploy/debian as its debian/ (dpkg-buildpackage,
#                   debhelper), then lintian; scripts/deb-build.sh
#   make deb-test   that package installed, run, upgraded and purged in a fresh
#                   Debian minbase booted with systemd under podman;
#                   scripts/deb-test.sh
#
# Nothing under /etc is installed by `make install`: the units read
# /etc/securex-relay/relay.env when it exists (the package ships one with
# every setting commented, made from relay.env.example by the rule below).

PREFIX      ?= /usr/local
SBINDIR     ?= $(PREFIX)/sbin
MAN8DIR     ?= $(PREFIX)/share/man/man8
# systemd reads units from /usr/local/lib/systemd/system too. The package
# sets UNITDIR=/lib/systemd/system: bookworm's dh_installsystemd only looks
# there (units under /usr/lib would get no maintainer-script snippets).
UNITDIR     ?= $(PREFIX)/lib/systemd/system
DOCDIR      ?= $(PREFIX)/share/doc/securex-relay
EXAMPLESDIR ?= $(DOCDIR)/examples
INSTALL     ?= install

PKG_MAN      := docs/securex-relay.8
PKG_UNITS    := $(sort $(wildcard deploy/systemd/*.service deploy/systemd/*.socket))
PKG_DOCS     := README.md $(sort $(wildcard docs/*.md))
# Examples by subdirectory of $(EXAMPLESDIR). nginx: the site, the FastCGI
# snippet and the pool of several relays (local.conf.template is the demo's).
PKG_EX_nginx   := deploy/nginx/securex-relay.conf deploy/nginx/securex-relay-fastcgi.conf \
		  deploy/nginx/securex-relay-pool.conf
PKG_EX_apache  := $(sort $(wildcard deploy/apache/*.conf))
PKG_EX_securex := $(sort $(wildcard deploy/securex/*.module_type.json))
PKG_EX_systemd := deploy/systemd/relay.env.example
PKG_EX_DIRS    := nginx apache securex systemd

# The source units name the path a hand install uses; the installed ones
# name the installed binary and documentation (and the man page).
PKG_UNIT_SED := -e 's|/usr/local/bin/securex-relay|$(SBINDIR)/securex-relay|g' \
		-e 's|file:///usr/share/doc/securex-relay/|file://$(DOCDIR)/|g' \
		-e 's|^Documentation=.*|& man:securex-relay(8)|'

# Every file `make install` writes, for `make uninstall`.
PKG_INSTALLED := $(SBINDIR)/securex-relay $(MAN8DIR)/securex-relay.8 \
	$(patsubst deploy/systemd/%,$(UNITDIR)/%,$(PKG_UNITS)) \
	$(DOCDIR)/README.md $(patsubst docs/%,$(DOCDIR)/docs/%,$(filter docs/%,$(PKG_DOCS))) \
	$(foreach d,$(PKG_EX_DIRS),$(patsubst %,$(EXAMPLESDIR)/$(d)/%,$(notdir $(PKG_EX_$(d)))))

.PHONY: install uninstall deb deb-test

install: build/securex-relay
	@echo "  INSTALL $(DESTDIR)$(PREFIX)"
	$(Q)$(INSTALL) -d -m 0755 "$(DESTDIR)$(SBINDIR)" "$(DESTDIR)$(MAN8DIR)" \
		"$(DESTDIR)$(UNITDIR)" "$(DESTDIR)$(DOCDIR)" \
		$(if $(filter docs/%,$(PKG_DOCS)),"$(DESTDIR)$(DOCDIR)/docs") \
		$(foreach d,$(PKG_EX_DIRS),"$(DESTDIR)$(EXAMPLESDIR)/$(d)")
	$(Q)$(INSTALL) -m 0755 build/securex-relay "$(DESTDIR)$(SBINDIR)/securex-relay"
	$(Q)$(INSTALL) -m 0644 $(PKG_MAN) "$(DESTDIR)$(MAN8DIR)/securex-relay.8"
	$(Q)set -e; for u in $(PKG_UNITS); do \
		dst="$(DESTDIR)$(UNITDIR)/$${u##*/}"; \
		sed $(PKG_UNIT_SED) "$$u" >"$$dst.tmp"; \
		case $$u in *.service) grep -q '^ExecStart=$(SBINDIR)/securex-relay ' "$$dst.tmp" || \
			{ echo "install: $$u: ExecStart= does not name /usr/local/bin/securex-relay" >&2; \
			  rm -f "$$dst.tmp"; exit 1; } ;; esac; \
		chmod 0644 "$$dst.tmp"; mv "$$dst.tmp" "$$dst"; \
	done
	$(Q)$(INSTALL) -m 0644 README.md "$(DESTDIR)$(DOCDIR)/README.md"
	$(Q)$(if $(filter docs/%,$(PKG_DOCS)),$(INSTALL) -m 0644 $(filter docs/%,$(PKG_DOCS)) "$(DESTDIR)$(DOCDIR)/docs/")
	$(Q)$(foreach d,$(PKG_EX_DIRS),$(INSTALL) -m 0644 $(PKG_EX_$(d)) "$(DESTDIR)$(EXAMPLESDIR)/$(d)/" &&) true

# Removes the files above, then whichever of their directories are left
# empty (never $(PREFIX)'s shared ones such as sbin or man8).
uninstall:
	@echo "  UNINSTALL $(DESTDIR)$(PREFIX)"
	$(Q)rm -f $(foreach f,$(PKG_INSTALLED),"$(DESTDIR)$(f)")
	$(Q)for d in $(foreach d,$(PKG_EX_DIRS),"$(DESTDIR)$(EXAMPLESDIR)/$(d)") \
		"$(DESTDIR)$(EXAMPLESDIR)" "$(DESTDIR)$(DOCDIR)/docs" "$(DESTDIR)$(DOCDIR)"; do \
		[ ! -d "$$d" ] || rmdir --ignore-fail-on-non-empty "$$d"; \
	done

# /etc/securex-relay/relay.env for the package: relay.env.example with every
# setting commented, so the relay runs on its defaults until the operator
# sets one (and, in the default jwt mode, refuses to start without the
# audience: README.Debian).
build/package/relay.env: deploy/systemd/relay.env.example
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	$(Q)awk 'NR > 1 && !done && /^$$/ { \
		print "#"; \
		print "# Every setting is commented out: the relay runs on its defaults. Set"; \
		print "# RELAY_PUBLIC_URL or RELAY_AUDIENCE (the default RELAY_AUTH=jwt needs one),"; \
		print "# then: systemctl enable --now securex-relay.socket securex-relay.service"; \
		print "# (/usr/share/doc/securex-relay/README.Debian)."; done = 1 } \
		{ sub(/^[A-Z][A-Z0-9_]*=/, "#&"); print }' $< >$@.tmp
	$(Q)! grep -n '^[A-Z]' $@.tmp || { echo "$@: an uncommented setting is left" >&2; exit 1; }
	$(Q)mv $@.tmp $@

deb:
	@scripts/deps.sh deb
	@scripts/deb-build.sh

deb-test:
	@scripts/deps.sh deb
	@scripts/deb-build.sh
	@scripts/deb-test.sh
