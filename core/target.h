/*
 * Local targets: each target secret is a directory of files,
 * DIR/<namespace>/<name>/<key>, written with the kubelet's atomic-writer
 * layout so that a reader never sees old and new keys mixed:
 *
 *	DIR/ns/name/..2026_12_03_10_00_00.123456789/<key>	the data
 *	DIR/ns/name/..data -> ..2026_12_03_10_00_00.123456789
 *	DIR/ns/name/<key> -> ..data/<key>
 *
 * Files are 0600 and directories 0700 whatever the umask; every path is
 * reached with openat and O_NOFOLLOW from a directory descriptor, and names
 * are validated before use.  A target reported written is durable: its
 * batch was made so with syncfs(2), before and after the switch.
 */
#ifndef XS_TARGET_H
#define XS_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "host.h"	/* struct result_item */

struct target_root;

/* Opens (creating 0700 if needed) the output directory.  NULL on error,
 * with a message in err. */
struct target_root *target_open(const char *dir, char *err, size_t errlen);
void	target_close(struct target_root *root);

/*
 * Removes temporaries left by a crash (data directories not named by
 * ..data, half-made ..data_tmp links) under every target.  Call at start.
 */
void	target_cleanup(struct target_root *root);

/* Target contents: keys are validated secret keys, sorted by the writer. */
struct target_data {
	struct result_item *items;	/* key, data, len; key never NULL */
	size_t		 nitems;
};

#define TARGET_ERR	-1	/* I/O error; message in err */
#define TARGET_ABSENT	 0	/* target_read: no such target */
#define TARGET_OK	 1
#define TARGET_OWNED	 2	/* another owner holds the target */

#define TARGET_ERR_MAX	1024	/* enough for any message in err */

/*
 * Batched writes (group commit): stage any number of writes, then commit
 * them together; each commit costs two syncfs(2) calls a file system it
 * writes to, however many writes it holds.  A batch must not hold two
 * writes of one target, and the caller serialises the writes of one
 * target across batches.
 */
struct target_batch;

struct target_req {
	const char	*ns;
	const char	*name;
	const struct target_data *data;	/* NULL: only the owner record */
	const char	*owner;		/* NULL: leave the owner record */
	int		 creation;	/* recorded with owner */
	int		 exclusive;	/* refuse a target another owns */
};

struct target_batch *target_batch_new(struct target_root *root);
int	target_batch_stage(struct target_batch *b,
	    const struct target_req *req, size_t *slot, char *err,
	    size_t errlen);
void	target_batch_commit(struct target_batch *b);
int	target_batch_result(struct target_batch *b, size_t slot,
	    int *changed, char *err, size_t errlen);
void	target_batch_free(struct target_batch *b);

/*
 * Writes the target atomically.  When the current content is byte-for-byte
 * the same, nothing is written and *changed is 0.  On error the old version
 * is left in place.  Safe to call concurrently for different targets; calls
 * for one target must be serialised by the caller.
 */
int	target_write(struct target_root *root, const char *ns,
	    const char *name, const struct target_data *data, int *changed,
	    char *err, size_t errlen);

/* Reads the current content (secure memory; free with target_data_free). */
int	target_read(struct target_root *root, const char *ns,
	    const char *name, struct target_data *out, char *err,
	    size_t errlen);
void	target_data_free(struct target_data *d);

/* Removes a target entirely.  TARGET_OK, TARGET_ABSENT or TARGET_ERR. */
int	target_delete(struct target_root *root, const char *ns,
	    const char *name, char *err, size_t errlen);

/*
 * Lists existing targets, calling fn for each (ns, name).  Used to find
 * Owner targets whose ExternalSecret is gone.
 */
int	target_list(struct target_root *root,
	    void (*fn)(const char *ns, const char *name, void *arg),
	    void *arg);

/*
 * Ownership: the writer records which ExternalSecret owns a target in
 * "..owner" inside the target directory, a symbolic link to "ns/name:N", N
 * the creation policy (a regular file in earlier versions, still read).
 * target_owner returns TARGET_OK with the owner's name in buf, or
 * TARGET_ABSENT.
 */
int	target_set_owner(struct target_root *root, const char *ns,
	    const char *name, const char *owner, int creation, char *err,
	    size_t errlen);
int	target_owner(struct target_root *root, const char *ns,
	    const char *name, char *buf, size_t len, int *creation);

#endif /* XS_TARGET_H */
