/*
 * The static group: what can be seen in a provider's file without running
 * any of it.  The ELF dynamic symbol table is read directly (64-bit ELF, the
 * only kind the daemon loads) rather than through nm, so that the harness
 * needs no toolchain at run time.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <elf.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conformance.h"

#define NAMES_MAX	512

/* Symbols the toolchain or a sanitizer adds to every module. */
static const char *const toolchain[] = {
	"_init", "_fini", "__bss_start", "_edata", "_end", NULL
};
static const char *const toolchain_prefix[] = {
	"__asan", "__ubsan", "__sancov", "__lsan", "__odr_asan", NULL
};

/* Functions no provider may call (xsecrets-provider(7), FORBIDDEN). */
static const char *const banned[] = {
	"OPENSSL_cleanup", "OPENSSL_init_crypto", "OPENSSL_init_ssl",
	"exit", "_exit", "_Exit", "abort", "setenv", "putenv", "unsetenv",
	"clearenv", "signal", "sigaction", "fork", "vfork", "system",
	"popen", "execv", "execve", "execvp", "printf", "puts", "putchar",
	"vprintf", "perror", "dlclose", NULL
};
static const char *const banned_prefix[] = {
	"curl_global_", "xmlCleanupParser", NULL
};

static int
listed(const char *name, const char *const *exact,
    const char *const *prefix)
{
	size_t	i;

	for (i = 0; exact != NULL && exact[i] != NULL; i++)
		if (strcmp(name, exact[i]) == 0)
			return 1;
	for (i = 0; prefix != NULL && prefix[i] != NULL; i++)
		if (strncmp(name, prefix[i], strlen(prefix[i])) == 0)
			return 1;
	return 0;
}

/* Appends name to a comma-separated list, bounded. */
static void
list_add(char *list, size_t len, const char *name)
{
	size_t	n = strlen(list);

	if (n + strlen(name) + 3 >= len)
		return;
	snprintf(list + n, len - n, "%s%s", n > 0 ? ", " : "", name);
}

/*
 * Walks the dynamic symbols of the mapped file; fills the exports besides
 * xs_provider_entry and the banned references.  -1 when it is not a 64-bit
 * ELF file this code understands.
 */
static int
scan_symbols(const uint8_t *base, size_t size, char *extra, char *refs,
    int *has_entry)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Shdr *sh, *strsh;
	const Elf64_Sym	*sym;
	const char	*name;
	size_t		 i, k, nsyms;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(*sh) || eh->e_shoff > size ||
	    eh->e_shnum > (size - eh->e_shoff) / sizeof(*sh))
		return -1;
	sh = (const Elf64_Shdr *)(base + eh->e_shoff);
	for (i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_DYNSYM)
			continue;
		if (sh[i].sh_link >= eh->e_shnum ||
		    sh[i].sh_offset > size ||
		    sh[i].sh_size > size - sh[i].sh_offset)
			return -1;
		strsh = &sh[sh[i].sh_link];
		if (strsh->sh_offset > size ||
		    strsh->sh_size > size - strsh->sh_offset)
			return -1;
		sym = (const Elf64_Sym *)(base + sh[i].sh_offset);
		nsyms = sh[i].sh_size / sizeof(*sym);
		for (k = 1; k < nsyms; k++) {
			if (sym[k].st_name >= strsh->sh_size)
				return -1;
			name = (const char *)base + strsh->sh_offset +
			    sym[k].st_name;
			if (memchr(name, '\0', strsh->sh_size -
			    sym[k].st_name) == NULL)
				return -1;
			if (sym[k].st_shndx == SHN_UNDEF) {
				if (listed(name, banned, banned_prefix))
					list_add(refs, NAMES_MAX, name);
				continue;
			}
			if (ELF64_ST_BIND(sym[k].st_info) == STB_LOCAL ||
			    ELF64_ST_VISIBILITY(sym[k].st_other) !=
			    STV_DEFAULT)
				continue;
			if (strcmp(name, XS_PROVIDER_ENTRY) == 0)
				*has_entry = 1;
			else if (!listed(name, toolchain, toolchain_prefix))
				list_add(extra, NAMES_MAX, name);
		}
	}
	return 0;
}

static void
check_symbols(const char *path)
{
	struct stat	 sb;
	uint8_t		*base;
	char		 extra[NAMES_MAX] = "", refs[NAMES_MAX] = "";
	int		 fd, has_entry = 0, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1 || sb.st_size == 0) {
		result_fail("STATIC-001", "%s: cannot read the file", path);
		result_fail("STATIC-002", "%s: cannot read the file", path);
		if (fd != -1)
			close(fd);
		return;
	}
	base = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (base != MAP_FAILED) {
		rc = scan_symbols(base, (size_t)sb.st_size, extra, refs,
		    &has_entry);
		munmap(base, (size_t)sb.st_size);
	}
	if (rc == -1) {
		result_fail("STATIC-001", "not a 64-bit ELF shared object");
		result_fail("STATIC-002", "not a 64-bit ELF shared object");
		return;
	}
	if (!has_entry)
		result_fail("STATIC-001", "%s is not exported",
		    XS_PROVIDER_ENTRY);
	else if (extra[0] != '\0')
		result_fail("STATIC-001", "also exported: %s", extra);
	else
		result_pass("STATIC-001");
	if (refs[0] != '\0')
		result_fail("STATIC-002", "references %s", refs);
	else
		result_pass("STATIC-002");
}

/* What is wrong with the mode and owner of path, or NULL. */
static const char *
unsafe(const struct stat *sb)
{
	if (sb->st_mode & (S_IWGRP | S_IWOTH))
		return "group- or world-writable";
	if (sb->st_uid != 0 && sb->st_uid != geteuid())
		return "owned by neither root nor the running user";
	return NULL;
}

static void
check_permissions(const char *path)
{
	struct stat	 sb;
	char		 dir[PATH_MAX];
	const char	*why;

	if (lstat(path, &sb) == -1) {
		result_fail("STATIC-003", "cannot stat the file");
		return;
	}
	if (!S_ISREG(sb.st_mode)) {
		result_fail("STATIC-003", "not a regular file (the daemon "
		    "refuses symbolic links)");
		return;
	}
	if ((why = unsafe(&sb)) != NULL) {
		result_fail("STATIC-003", "the file is %s", why);
		return;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if (stat(dirname(dir), &sb) == -1 || (why = unsafe(&sb)) != NULL) {
		result_fail("STATIC-003", "its directory is %s",
		    why != NULL ? why : "not readable");
		return;
	}
	result_pass("STATIC-003");
}

/*
 * Runs the static checks on o->path: exported symbols, banned references,
 * file and directory permissions.
 */
void
group_static(const struct options *o)
{
	result_begin("STATIC-001");
	check_symbols(o->path);
	result_begin("STATIC-003");
	check_permissions(o->path);
}
