/*
 * Copyright: (c) 2026, sfb.pki maintainers
 * GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
 *
 * certstore.exe: read and write the machine's registry certificate stores through crypt32, so an
 * implementation of the Windows store format that this project did not write (Wine's, under
 * `make wine-check`) can judge the blobs the collection writes, and write blobs for it to decode.
 *
 *   certstore.exe list LOCATION:STORE...
 *       One JSON line per certificate and CRL crypt32 loads from each store:
 *       {"location", "store", "kind": "cert"|"crl", "sha1" (CERT_HASH_PROP_ID), "sha1_der" (SHA-1
 *        crypt32 computes over the DER), "props" (property ids crypt32 enumerates), "key_id"
 *        (CERT_KEY_IDENTIFIER_PROP_ID, certificates only), "friendly_name_utf16" (the raw
 *        CERT_FRIENDLY_NAME_PROP_ID bytes), "eku_der" (the raw CERT_ENHKEY_USAGE_PROP_ID bytes) and
 *        "eku" (those bytes decoded by crypt32: a list of OIDs)}; absent values are null.
 *       Then one line per store: {"location", "store", "opened": true|false, "error", "count"}.
 *   certstore.exe add LOCATION:STORE cert|crl FILE [--name TEXT] [--eku OID,OID,...]
 *       Adds a DER certificate (CertAddEncodedCertificateToStore) or CRL (CertAddEncodedCRLToStore);
 *       --name and --eku set the friendly name and the enhanced key usage property first (on a
 *       memory store copy, then added to the registry store with its properties). Prints one line
 *       {"added": "cert"|"crl", "sha1"} or exits 1 with an error line.
 *
 *   certstore.exe add-from LIST
 *       The same for every line of a UTF-8 file: LOCATION:STORE, kind, FILE, name, EKU, tab-separated
 *       (name and EKU may be empty). Exits 1 when any line failed.
 *
 * LOCATION, all under HKEY_LOCAL_MACHINE:
 *   machine      CertOpenStore(CERT_STORE_PROV_SYSTEM_REGISTRY, CERT_SYSTEM_STORE_LOCAL_MACHINE)
 *   policy       CertOpenStore(CERT_STORE_PROV_SYSTEM_REGISTRY, CERT_SYSTEM_STORE_LOCAL_MACHINE_GROUP_POLICY)
 *   enterprise   SOFTWARE\Microsoft\EnterpriseCertificates\STORE opened with RegOpenKeyEx and read with
 *                CertOpenStore(CERT_STORE_PROV_REG): Wine's CERT_SYSTEM_STORE_LOCAL_MACHINE_ENTERPRISE is a
 *                stub that opens nothing (dlls/crypt32/store.c, CRYPT_SysRegOpenStoreW).
 *   machine-reg  SOFTWARE\Microsoft\SystemCertificates\STORE the same way. The registry store reader is
 *                the one `machine` ends in; the difference is that Wine's `machine` open of the Root
 *                store first writes the Linux host's trusted roots and five Microsoft roots into
 *                Root\Certificates (rootstore.c, CRYPT_ImportSystemRootCertsToReg), overwriting the
 *                blobs of any certificate they share with the store under test.
 *
 * Build: x86_64-w64-mingw32-gcc -O2 -municode -o certstore.exe certstore.c -lcrypt32
 */

#include <windows.h>
#include <wincrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENTERPRISE_REGPATH L"Software\\Microsoft\\EnterpriseCertificates\\"
#define MACHINE_REGPATH L"Software\\Microsoft\\SystemCertificates\\"

enum location { LOC_MACHINE, LOC_POLICY, LOC_ENTERPRISE, LOC_MACHINE_REG, LOC_BAD };

static enum location parse_location(const wchar_t *spec, const wchar_t **store)
{
    const wchar_t *colon = wcschr(spec, L':');
    size_t len;

    if (!colon || !colon[1])
        return LOC_BAD;
    *store = colon + 1;
    len = (size_t)(colon - spec);
    if (len == 7 && !wcsncmp(spec, L"machine", len))
        return LOC_MACHINE;
    if (len == 6 && !wcsncmp(spec, L"policy", len))
        return LOC_POLICY;
    if (len == 10 && !wcsncmp(spec, L"enterprise", len))
        return LOC_ENTERPRISE;
    if (len == 11 && !wcsncmp(spec, L"machine-reg", len))
        return LOC_MACHINE_REG;
    return LOC_BAD;
}

static const char *location_name(enum location loc)
{
    switch (loc)
    {
    case LOC_MACHINE: return "machine";
    case LOC_POLICY: return "policy";
    case LOC_ENTERPRISE: return "enterprise";
    case LOC_MACHINE_REG: return "machine-reg";
    default: return "?";
    }
}

/* Store names and OIDs here are ASCII: print them as they are, refusing anything JSON would need
 * escaped. */
static void print_ascii(const wchar_t *text)
{
    putchar('"');
    for (; *text; text++)
        putchar(*text >= 0x20 && *text < 0x7f && *text != '"' && *text != '\\' ? (char)*text : '?');
    putchar('"');
}

static void print_hex(const BYTE *data, DWORD size)
{
    DWORD i;

    putchar('"');
    for (i = 0; i < size; i++)
        printf("%02X", data[i]);
    putchar('"');
}

static HCERTSTORE open_store(enum location loc, const wchar_t *name, BOOL write, DWORD *error)
{
    HCERTSTORE store = NULL;
    DWORD flags = write ? 0 : CERT_STORE_READONLY_FLAG | CERT_STORE_OPEN_EXISTING_FLAG;

    if (loc == LOC_ENTERPRISE || loc == LOC_MACHINE_REG)
    {
        wchar_t path[512];
        HKEY key;
        LONG rc;

        if (wcslen(name) > 400)
        {
            *error = ERROR_INVALID_PARAMETER;
            return NULL;
        }
        wcscpy(path, loc == LOC_ENTERPRISE ? ENTERPRISE_REGPATH : MACHINE_REGPATH);
        wcscat(path, name);
        if (write)
            rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &key, NULL);
        else
            rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_READ, &key);
        if (rc != ERROR_SUCCESS)
        {
            *error = (DWORD)rc;
            return NULL;
        }
        store = CertOpenStore(CERT_STORE_PROV_REG, 0, 0, write ? 0 : CERT_STORE_READONLY_FLAG, key);
        if (!store)
            *error = GetLastError();
        RegCloseKey(key);
        return store;
    }
    flags |= loc == LOC_POLICY ? CERT_SYSTEM_STORE_LOCAL_MACHINE_GROUP_POLICY
                               : CERT_SYSTEM_STORE_LOCAL_MACHINE;
    store = CertOpenStore(CERT_STORE_PROV_SYSTEM_REGISTRY_W, 0, 0, flags, name);
    if (!store)
        *error = GetLastError();
    return store;
}

typedef BOOL (WINAPI *get_prop_fn)(const void *ctx, DWORD id, void *data, DWORD *size);

/* A property's bytes (malloc'd) or NULL when the context does not have it. */
static BYTE *get_prop(get_prop_fn get, const void *ctx, DWORD id, DWORD *size)
{
    BYTE *data;

    *size = 0;
    if (!get(ctx, id, NULL, size))
        return NULL;
    data = malloc(*size ? *size : 1);
    if (!data || !get(ctx, id, data, size))
    {
        free(data);
        return NULL;
    }
    return data;
}

static void print_prop_hex(const char *field, get_prop_fn get, const void *ctx, DWORD id)
{
    DWORD size;
    BYTE *data = get_prop(get, ctx, id, &size);

    printf(", \"%s\": ", field);
    if (data)
        print_hex(data, size);
    else
        printf("null");
    free(data);
}

static void print_eku(get_prop_fn get, const void *ctx)
{
    DWORD size, decoded_size = 0, i;
    BYTE *data = get_prop(get, ctx, CERT_ENHKEY_USAGE_PROP_ID, &size);
    CERT_ENHKEY_USAGE *usage = NULL;

    printf(", \"eku_der\": ");
    if (!data)
    {
        printf("null, \"eku\": null");
        return;
    }
    print_hex(data, size);
    printf(", \"eku\": ");
    if (!CryptDecodeObjectEx(X509_ASN_ENCODING, X509_ENHANCED_KEY_USAGE, data, size,
                             CRYPT_DECODE_ALLOC_FLAG, NULL, &usage, &decoded_size))
        printf("{\"decode_error\": %lu}", (unsigned long)GetLastError());
    else
    {
        putchar('[');
        for (i = 0; i < usage->cUsageIdentifier; i++)
            printf("%s\"%s\"", i ? ", " : "", usage->rgpszUsageIdentifier[i]);
        putchar(']');
        LocalFree(usage);
    }
    free(data);
}

static void print_sha1_der(const BYTE *der, DWORD size)
{
    BYTE hash[20];
    DWORD len = sizeof(hash);

    printf(", \"sha1_der\": ");
    if (CryptHashCertificate(0, CALG_SHA1, 0, der, size, hash, &len))
        print_hex(hash, len);
    else
        printf("null");
}

static void print_head(enum location loc, const wchar_t *name, const char *kind)
{
    printf("{\"location\": \"%s\", \"store\": ", location_name(loc));
    print_ascii(name);
    printf(", \"kind\": \"%s\"", kind);
}

static DWORD list_certs(HCERTSTORE store, enum location loc, const wchar_t *name)
{
    PCCERT_CONTEXT cert = NULL;
    DWORD count = 0;
    get_prop_fn get = (get_prop_fn)CertGetCertificateContextProperty;

    while ((cert = CertEnumCertificatesInStore(store, cert)))
    {
        DWORD id = 0, n = 0;

        count++;
        print_head(loc, name, "cert");
        print_prop_hex("sha1", get, cert, CERT_HASH_PROP_ID);
        print_sha1_der(cert->pbCertEncoded, cert->cbCertEncoded);
        printf(", \"props\": [");
        while ((id = CertEnumCertificateContextProperties(cert, id)))
            printf("%s%lu", n++ ? ", " : "", (unsigned long)id);
        putchar(']');
        print_prop_hex("key_id", get, cert, CERT_KEY_IDENTIFIER_PROP_ID);
        print_prop_hex("friendly_name_utf16", get, cert, CERT_FRIENDLY_NAME_PROP_ID);
        print_eku(get, cert);
        printf("}\n");
    }
    return count;
}

static DWORD list_crls(HCERTSTORE store, enum location loc, const wchar_t *name)
{
    PCCRL_CONTEXT crl = NULL;
    DWORD count = 0;
    get_prop_fn get = (get_prop_fn)CertGetCRLContextProperty;

    while ((crl = CertEnumCRLsInStore(store, crl)))
    {
        DWORD id = 0, n = 0;

        count++;
        print_head(loc, name, "crl");
        print_prop_hex("sha1", get, crl, CERT_HASH_PROP_ID);
        print_sha1_der(crl->pbCrlEncoded, crl->cbCrlEncoded);
        printf(", \"props\": [");
        while ((id = CertEnumCRLContextProperties(crl, id)))
            printf("%s%lu", n++ ? ", " : "", (unsigned long)id);
        putchar(']');
        printf(", \"key_id\": null");
        print_prop_hex("friendly_name_utf16", get, crl, CERT_FRIENDLY_NAME_PROP_ID);
        print_eku(get, crl);
        printf("}\n");
    }
    return count;
}

static int cmd_list(int argc, wchar_t **argv)
{
    int i;

    for (i = 0; i < argc; i++)
    {
        const wchar_t *name = NULL;
        enum location loc = parse_location(argv[i], &name);
        DWORD error = 0, count;
        HCERTSTORE store;

        if (loc == LOC_BAD)
        {
            printf("{\"error\": \"bad LOCATION:STORE\", \"argument\": ");
            print_ascii(argv[i]);
            printf("}\n");
            return 2;
        }
        store = open_store(loc, name, FALSE, &error);
        printf("{\"location\": \"%s\", \"store\": ", location_name(loc));
        print_ascii(name);
        if (!store)
        {
            printf(", \"opened\": false, \"error\": %lu, \"count\": 0}\n", (unsigned long)error);
            continue;
        }
        printf(", \"opened\": true, \"error\": 0, \"count\": null}\n");
        count = list_certs(store, loc, name);
        count += list_crls(store, loc, name);
        printf("{\"location\": \"%s\", \"store\": ", location_name(loc));
        print_ascii(name);
        printf(", \"opened\": true, \"error\": 0, \"count\": %lu}\n", (unsigned long)count);
        CertCloseStore(store, 0);
    }
    return 0;
}

static BYTE *read_file(const wchar_t *path, DWORD *size)
{
    FILE *f = _wfopen(path, L"rb");
    BYTE *data;
    long len;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) || (len = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
    {
        fclose(f);
        return NULL;
    }
    data = malloc((size_t)len);
    if (data && fread(data, 1, (size_t)len, f) != (size_t)len)
    {
        free(data);
        data = NULL;
    }
    fclose(f);
    *size = (DWORD)len;
    return data;
}

static int fail(const char *what, DWORD error)
{
    printf("{\"error\": \"%s\", \"code\": %lu}\n", what, (unsigned long)error);
    return 1;
}

/* Set --name / --eku on a context of a memory store. */
static BOOL set_props(BOOL is_cert, const void *ctx, const wchar_t *friendly, const wchar_t *eku)
{
    if (friendly)
    {
        CRYPT_DATA_BLOB blob;

        blob.cbData = (DWORD)((wcslen(friendly) + 1) * sizeof(wchar_t));
        blob.pbData = (BYTE *)friendly;
        if (!(is_cert ? CertSetCertificateContextProperty(ctx, CERT_FRIENDLY_NAME_PROP_ID, 0, &blob)
                      : CertSetCRLContextProperty(ctx, CERT_FRIENDLY_NAME_PROP_ID, 0, &blob)))
            return FALSE;
    }
    if (eku && is_cert)
    {
        char oids[1024], *parts[32], *next;
        CERT_ENHKEY_USAGE usage = { 0, parts };

        if (!WideCharToMultiByte(CP_ACP, 0, eku, -1, oids, sizeof(oids), NULL, NULL))
            return FALSE;
        for (next = strtok(oids, ","); next && usage.cUsageIdentifier < 32; next = strtok(NULL, ","))
            parts[usage.cUsageIdentifier++] = next;
        if (!CertSetEnhancedKeyUsage(ctx, &usage))
            return FALSE;
    }
    return TRUE;
}

/* Add one DER certificate or CRL from FILE to LOCATION:STORE; prints one JSON line. */
static int add_one(const wchar_t *spec, const wchar_t *kind, const wchar_t *file, const wchar_t *friendly,
                   const wchar_t *eku)
{
    const wchar_t *name = NULL;
    enum location loc;
    BOOL is_cert, ok;
    HCERTSTORE store, mem = NULL;
    BYTE *data, hash[20];
    DWORD size = 0, error = 0, hash_len = sizeof(hash);

    loc = parse_location(spec, &name);
    if (loc == LOC_BAD)
        return fail("bad LOCATION:STORE", 0);
    if (!wcscmp(kind, L"cert"))
        is_cert = TRUE;
    else if (!wcscmp(kind, L"crl"))
        is_cert = FALSE;
    else
        return fail("kind must be cert or crl", 0);
    if (!(data = read_file(file, &size)))
        return fail("cannot read FILE", GetLastError());
    if (!(store = open_store(loc, name, TRUE, &error)))
    {
        free(data);
        return fail("cannot open the store", error);
    }

    if (!friendly && !eku)
        ok = is_cert ? CertAddEncodedCertificateToStore(store, X509_ASN_ENCODING, data, size,
                                                        CERT_STORE_ADD_REPLACE_EXISTING, NULL)
                     : CertAddEncodedCRLToStore(store, X509_ASN_ENCODING, data, size,
                                                CERT_STORE_ADD_REPLACE_EXISTING, NULL);
    else
    {
        const void *ctx = NULL;

        mem = CertOpenStore(CERT_STORE_PROV_MEMORY, 0, 0, 0, NULL);
        ok = mem != NULL;
        if (ok)
            ok = is_cert ? CertAddEncodedCertificateToStore(mem, X509_ASN_ENCODING, data, size,
                                                            CERT_STORE_ADD_ALWAYS, (PCCERT_CONTEXT *)&ctx)
                         : CertAddEncodedCRLToStore(mem, X509_ASN_ENCODING, data, size,
                                                    CERT_STORE_ADD_ALWAYS, (PCCRL_CONTEXT *)&ctx);
        if (ok)
            ok = set_props(is_cert, ctx, friendly, eku);
        if (ok)
            ok = is_cert ? CertAddCertificateContextToStore(store, ctx, CERT_STORE_ADD_REPLACE_EXISTING, NULL)
                         : CertAddCRLContextToStore(store, ctx, CERT_STORE_ADD_REPLACE_EXISTING, NULL);
        if (ctx)
        {
            if (is_cert)
                CertFreeCertificateContext(ctx);
            else
                CertFreeCRLContext(ctx);
        }
    }
    error = GetLastError();
    if (mem)
        CertCloseStore(mem, 0);
    if (!CertCloseStore(store, 0) && ok)
    {
        ok = FALSE;
        error = GetLastError();
    }
    if (!ok)
    {
        free(data);
        return fail(is_cert ? "CertAddEncodedCertificateToStore failed" : "CertAddEncodedCRLToStore failed",
                    error);
    }
    printf("{\"added\": \"%s\", \"location\": \"%s\", \"store\": ", is_cert ? "cert" : "crl",
           location_name(loc));
    print_ascii(name);
    printf(", \"sha1\": ");
    if (CryptHashCertificate(0, CALG_SHA1, 0, data, size, hash, &hash_len))
        print_hex(hash, hash_len);
    else
        printf("null");
    printf("}\n");
    free(data);
    return 0;
}

static int cmd_add(int argc, wchar_t **argv)
{
    const wchar_t *friendly = NULL, *eku = NULL;
    int i;

    if (argc < 3)
        return fail("usage: add LOCATION:STORE cert|crl FILE [--name TEXT] [--eku OIDS]", 0);
    for (i = 3; i + 1 < argc; i += 2)
    {
        if (!wcscmp(argv[i], L"--name"))
            friendly = argv[i + 1];
        else if (!wcscmp(argv[i], L"--eku"))
            eku = argv[i + 1];
        else
            return fail("unknown option", 0);
    }
    if (i != argc)
        return fail("an option lacks its value", 0);
    return add_one(argv[0], argv[1], argv[2], friendly, eku);
}

/* add-from LIST: one addition per line of a UTF-8 file, tab-separated:
 * LOCATION:STORE, cert|crl, FILE, friendly name (may be empty), EKU OIDs (may be empty). */
static int cmd_add_from(int argc, wchar_t **argv)
{
    BYTE *text;
    DWORD size = 0;
    wchar_t *wide, *line, *next_line;
    int len, rc = 0;

    if (argc != 1)
        return fail("usage: add-from LIST", 0);
    if (!(text = read_file(argv[0], &size)))
        return fail("cannot read LIST", GetLastError());
    len = MultiByteToWideChar(CP_UTF8, 0, (const char *)text, (int)size, NULL, 0);
    wide = calloc((size_t)len + 1, sizeof(wchar_t));
    if (!wide || !MultiByteToWideChar(CP_UTF8, 0, (const char *)text, (int)size, wide, len))
    {
        free(text);
        free(wide);
        return fail("LIST is not UTF-8", GetLastError());
    }
    free(text);
    for (line = wide; line && *line; line = next_line)
    {
        wchar_t *fields[5] = { NULL, NULL, NULL, NULL, NULL }, *p = line;
        int n = 0;

        next_line = wcschr(line, L'\n');
        if (next_line)
            *next_line++ = 0;
        if (*line == 0 || *line == L'\r')
            continue;
        while (n < 5)
        {
            wchar_t *tab = wcschr(p, L'\t');

            fields[n++] = p;
            if (!tab)
                break;
            *tab = 0;
            p = tab + 1;
        }
        for (n = 0; n < 5; n++)
            if (fields[n])
            {
                size_t l = wcslen(fields[n]);
                if (l && fields[n][l - 1] == L'\r')
                    fields[n][l - 1] = 0;
            }
        if (!fields[2])
        {
            rc = fail("a LIST line needs LOCATION:STORE, kind and FILE", 0);
            continue;
        }
        if (add_one(fields[0], fields[1], fields[2], fields[3] && *fields[3] ? fields[3] : NULL,
                    fields[4] && *fields[4] ? fields[4] : NULL))
            rc = 1;
    }
    free(wide);
    return rc;
}

int wmain(int argc, wchar_t **argv)
{
    if (argc >= 2 && !wcscmp(argv[1], L"list"))
        return cmd_list(argc - 2, argv + 2);
    if (argc >= 2 && !wcscmp(argv[1], L"add"))
        return cmd_add(argc - 2, argv + 2);
    if (argc >= 2 && !wcscmp(argv[1], L"add-from"))
        return cmd_add_from(argc - 2, argv + 2);
    fprintf(stderr, "usage: certstore.exe list LOCATION:STORE... | add LOCATION:STORE cert|crl FILE "
                    "[--name TEXT] [--eku OID,...] | add-from LIST\n");
    return 2;
}
