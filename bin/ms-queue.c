/* ms-queue: put one message durably into a spool maildir.
 *
 * The message comes on stdin with its envelope block; SENDER, RECIPIENTS,
 * TCPREMOTEIP and MS_TRUST override the block.  Exit 0 only once the file
 * and its directory entry are on disk; on any failure nothing is in new/.
 */
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "diag.h"
#include "envelope.h"
#include "maildir.h"
#include "msg.h"

int
main(int argc, char **argv)
{
	char dir[PATH_MAX], name[NAME_MAX + 1], sender[128];
	struct envelope e;
	struct maildir md;
	struct buf block = BUF_INIT;
	struct iovec iov[2];
	struct msg m;
	size_t maxsize, off;
	unsigned maxrcpt, deadline;
	int iovcnt;

	PROG = "ms-queue";
	if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
		ms_usage("[spooldir]");
	if (cfg_size("MS_MAXSIZE", MS_MAXSIZE_DEFAULT, &maxsize) < 0)
		ms_fatal(EX_TEMP, "unable to parse MS_MAXSIZE");
	if (cfg_uint("MS_MAXRCPT", 100000, &maxrcpt) < 0)
		ms_fatal(EX_TEMP, "unable to parse MS_MAXRCPT");
	if (cfg_uint("MS_DEADLINE", 600, &deadline) < 0)
		ms_fatal(EX_TEMP, "unable to parse MS_DEADLINE");
	if (argc == 2) {
		if (strlcpy(dir, argv[1], sizeof dir) >= sizeof dir)
			ms_fatal(EX_PERM, "spool path too long");
	} else if (cfg_spooldir(dir, sizeof dir, "in") < 0)
		ms_fatal(EX_TEMP, "MS_SPOOL is too long");
	ms_deadline(deadline, "queueing a message");

	if (msg_load(0, maxsize, &m) < 0) {
		if (errno == EMSGSIZE)
			ms_fatal(EX_PERM, "5.3.4 message is larger than MS_MAXSIZE (%zu bytes)",
			    maxsize);
		ms_fatalsys("unable to read message");
	}
	env_init(&e);
	if (env_parse(m.p, m.len, maxrcpt, &e, &off) < 0 ||
	    env_from_environ(&e, maxrcpt) < 0) {
		if (errno == EBADMSG)
			ms_fatal(EX_PERM, "5.6.0 malformed envelope block");
		ms_fatalsys("unable to parse envelope");
	}
	if (e.sender == NULL)
		ms_fatal(EX_PERM, "5.5.1 no envelope sender: need Return-Path or SENDER");
	if (e.nrcpt == 0)
		ms_fatal(EX_PERM, "5.5.1 no recipients: need X-Mailscan-Rcpt or RECIPIENTS");

	/* The block as given is kept byte for byte unless the environment
	 * changed it. */
	if (env_overridden()) {
		if (env_write(&e, &block) < 0)
			ms_fatalsys("unable to write envelope");
		/* a message that starts with white space would fold into the
		 * block's last field: an empty line keeps it apart (it has no
		 * header then, and stays all body) */
		if (off < m.len && (m.p[off] == ' ' || m.p[off] == '\t') &&
		    buf_addc(&block, '\n') < 0)
			ms_fatalsys("unable to write envelope");
		iov[0].iov_base = block.p;
		iov[0].iov_len = block.len;
		iov[1].iov_base = m.p + off;
		iov[1].iov_len = m.len - off;
		iovcnt = 2;
	} else {
		iov[0].iov_base = m.p;
		iov[0].iov_len = m.len;
		iovcnt = 1;
	}

	if (maildir_open(&md, dir, MD_CREATE) < 0)
		ms_fatalsys("unable to open spool %s", dir);
	if (maildir_deliver(&md, iov, iovcnt, name, sizeof name) < 0)
		ms_fatalsys("unable to write message to %s", dir);
	ms_info("%s: queued from <%s> for %zu recipient%s, %zu bytes", name,
	    ms_sanitize(sender, sizeof sender, e.sender, strlen(e.sender)),
	    e.nrcpt, e.nrcpt == 1 ? "" : "s", m.len);
	return EX_PASS;
}
