// SPDX-License-Identifier: GPL-2.0-or-later
// The part of libmnl's API that libipset calls, for the static build only (mk/static.mk).
//
// Debian's libmnl source package cannot be downloaded on this project's machines and libmnl-dev
// ships no static archive, so the static hepd links this file instead. It is written against the
// declarations of libmnl-dev's <libmnl/libmnl.h> and follows the behaviour libmnl documents there
// (return values, errno), which is all libipset relies on. The dynamic build links Debian's
// libmnl.so and never sees this file.
//
// Netlink layout reminders: a message is a struct nlmsghdr, its payload and padding to 4 bytes;
// an attribute is a struct nlattr (length includes the header, not the padding), its payload and
// padding to 4 bytes.
#include <libmnl/libmnl.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

// ---------------------------------------------------------------------------------------------
// Sockets

struct mnl_socket {
    int fd;
    struct sockaddr_nl addr; // our address after bind (the port id the kernel assigned)
};

struct mnl_socket *mnl_socket_open2(int bus, int flags) {
    struct mnl_socket *nl = calloc(1, sizeof(*nl));
    if (nl == NULL) return NULL;
    nl->fd = socket(AF_NETLINK, SOCK_RAW | flags, bus);
    if (nl->fd < 0) {
        free(nl);
        return NULL;
    }
    return nl;
}

struct mnl_socket *mnl_socket_open(int bus) { return mnl_socket_open2(bus, 0); }

struct mnl_socket *mnl_socket_fdopen(int fd) {
    struct sockaddr_nl addr;
    socklen_t len = sizeof(addr);
    if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0) return NULL;
    if (len != sizeof(addr) || addr.nl_family != AF_NETLINK) {
        errno = EINVAL;
        return NULL;
    }
    struct mnl_socket *nl = calloc(1, sizeof(*nl));
    if (nl == NULL) return NULL;
    nl->fd = fd;
    nl->addr = addr;
    return nl;
}

int mnl_socket_bind(struct mnl_socket *nl, unsigned int groups, pid_t pid) {
    struct sockaddr_nl addr;
    memset(&addr, 0, sizeof(addr));
    addr.nl_family = AF_NETLINK;
    addr.nl_groups = groups;
    addr.nl_pid = (__u32)pid;
    if (bind(nl->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) return -1;
    socklen_t len = sizeof(nl->addr);
    if (getsockname(nl->fd, (struct sockaddr *)&nl->addr, &len) < 0) return -1;
    if (len != sizeof(nl->addr) || nl->addr.nl_family != AF_NETLINK) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int mnl_socket_close(struct mnl_socket *nl) {
    int rc = close(nl->fd);
    free(nl);
    return rc;
}

int mnl_socket_get_fd(const struct mnl_socket *nl) { return nl->fd; }

unsigned int mnl_socket_get_portid(const struct mnl_socket *nl) { return nl->addr.nl_pid; }

ssize_t mnl_socket_sendto(const struct mnl_socket *nl, const void *req, size_t siz) {
    struct sockaddr_nl kernel;
    memset(&kernel, 0, sizeof(kernel));
    kernel.nl_family = AF_NETLINK;
    return sendto(nl->fd, req, siz, 0, (const struct sockaddr *)&kernel, sizeof(kernel));
}

ssize_t mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf, size_t siz) {
    struct sockaddr_nl from;
    struct iovec iov = {.iov_base = buf, .iov_len = siz};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t n = recvmsg(nl->fd, &msg, 0);
    if (n < 0) return n;
    if (msg.msg_flags & MSG_TRUNC) { // the message did not fit: the caller's buffer is too small
        errno = ENOSPC;
        return -1;
    }
    if (msg.msg_namelen != sizeof(from)) {
        errno = EINVAL;
        return -1;
    }
    return n;
}

int mnl_socket_setsockopt(const struct mnl_socket *nl, int type, void *buf, socklen_t len) {
    return setsockopt(nl->fd, SOL_NETLINK, type, buf, len);
}

int mnl_socket_getsockopt(const struct mnl_socket *nl, int type, void *buf, socklen_t *len) {
    return getsockopt(nl->fd, SOL_NETLINK, type, buf, len);
}

// ---------------------------------------------------------------------------------------------
// Messages

size_t mnl_nlmsg_size(size_t len) { return len + MNL_NLMSG_HDRLEN; }

size_t mnl_nlmsg_get_payload_len(const struct nlmsghdr *nlh) {
    return nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
}

struct nlmsghdr *mnl_nlmsg_put_header(void *buf) {
    struct nlmsghdr *nlh = buf;
    memset(buf, 0, MNL_NLMSG_HDRLEN);
    nlh->nlmsg_len = MNL_NLMSG_HDRLEN;
    return nlh;
}

void *mnl_nlmsg_put_extra_header(struct nlmsghdr *nlh, size_t size) {
    char *p = (char *)nlh + nlh->nlmsg_len;
    nlh->nlmsg_len += MNL_ALIGN(size);
    memset(p, 0, MNL_ALIGN(size));
    return p;
}

void *mnl_nlmsg_get_payload(const struct nlmsghdr *nlh) {
    return (char *)nlh + MNL_NLMSG_HDRLEN;
}

void *mnl_nlmsg_get_payload_offset(const struct nlmsghdr *nlh, size_t offset) {
    return (char *)nlh + MNL_NLMSG_HDRLEN + MNL_ALIGN(offset);
}

void *mnl_nlmsg_get_payload_tail(const struct nlmsghdr *nlh) {
    return (char *)nlh + MNL_ALIGN(nlh->nlmsg_len);
}

bool mnl_nlmsg_ok(const struct nlmsghdr *nlh, int len) {
    return len >= (int)sizeof(struct nlmsghdr) && nlh->nlmsg_len >= sizeof(struct nlmsghdr) &&
           (int)nlh->nlmsg_len <= len;
}

struct nlmsghdr *mnl_nlmsg_next(const struct nlmsghdr *nlh, int *len) {
    *len -= (int)MNL_ALIGN(nlh->nlmsg_len);
    return (struct nlmsghdr *)((char *)nlh + MNL_ALIGN(nlh->nlmsg_len));
}

bool mnl_nlmsg_seq_ok(const struct nlmsghdr *nlh, unsigned int seq) {
    return nlh->nlmsg_seq == 0 || seq == 0 || nlh->nlmsg_seq == seq;
}

bool mnl_nlmsg_portid_ok(const struct nlmsghdr *nlh, unsigned int portid) {
    return nlh->nlmsg_pid == 0 || portid == 0 || nlh->nlmsg_pid == portid;
}

// ---------------------------------------------------------------------------------------------
// Attributes

uint16_t mnl_attr_get_type(const struct nlattr *attr) { return attr->nla_type & NLA_TYPE_MASK; }
uint16_t mnl_attr_get_len(const struct nlattr *attr) { return attr->nla_len; }
uint16_t mnl_attr_get_payload_len(const struct nlattr *attr) {
    return (uint16_t)(attr->nla_len - MNL_ATTR_HDRLEN);
}
void *mnl_attr_get_payload(const struct nlattr *attr) { return (char *)attr + MNL_ATTR_HDRLEN; }

// Attribute payloads are only 4-byte aligned: read through memcpy.
uint8_t mnl_attr_get_u8(const struct nlattr *attr) {
    return *(const uint8_t *)mnl_attr_get_payload(attr);
}
uint16_t mnl_attr_get_u16(const struct nlattr *attr) {
    uint16_t v;
    memcpy(&v, mnl_attr_get_payload(attr), sizeof(v));
    return v;
}
uint32_t mnl_attr_get_u32(const struct nlattr *attr) {
    uint32_t v;
    memcpy(&v, mnl_attr_get_payload(attr), sizeof(v));
    return v;
}
uint64_t mnl_attr_get_u64(const struct nlattr *attr) {
    uint64_t v;
    memcpy(&v, mnl_attr_get_payload(attr), sizeof(v));
    return v;
}
const char *mnl_attr_get_str(const struct nlattr *attr) { return mnl_attr_get_payload(attr); }

void mnl_attr_put(struct nlmsghdr *nlh, uint16_t type, size_t len, const void *data) {
    struct nlattr *attr = mnl_nlmsg_get_payload_tail(nlh);
    size_t total = MNL_ATTR_HDRLEN + len;
    attr->nla_type = type;
    attr->nla_len = (uint16_t)total;
    memcpy(mnl_attr_get_payload(attr), data, len);
    memset((char *)attr + total, 0, MNL_ALIGN(total) - total);
    nlh->nlmsg_len += MNL_ALIGN(total);
}

void mnl_attr_put_u8(struct nlmsghdr *nlh, uint16_t type, uint8_t data) {
    mnl_attr_put(nlh, type, sizeof(data), &data);
}
void mnl_attr_put_u16(struct nlmsghdr *nlh, uint16_t type, uint16_t data) {
    mnl_attr_put(nlh, type, sizeof(data), &data);
}
void mnl_attr_put_u32(struct nlmsghdr *nlh, uint16_t type, uint32_t data) {
    mnl_attr_put(nlh, type, sizeof(data), &data);
}
void mnl_attr_put_u64(struct nlmsghdr *nlh, uint16_t type, uint64_t data) {
    mnl_attr_put(nlh, type, sizeof(data), &data);
}
void mnl_attr_put_str(struct nlmsghdr *nlh, uint16_t type, const char *data) {
    mnl_attr_put(nlh, type, strlen(data), data);
}
void mnl_attr_put_strz(struct nlmsghdr *nlh, uint16_t type, const char *data) {
    mnl_attr_put(nlh, type, strlen(data) + 1, data);
}

bool mnl_attr_put_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, size_t len,
                        const void *data) {
    if (nlh->nlmsg_len + MNL_ATTR_HDRLEN + MNL_ALIGN(len) > buflen) return false;
    mnl_attr_put(nlh, type, len, data);
    return true;
}
bool mnl_attr_put_u8_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint8_t data) {
    return mnl_attr_put_check(nlh, buflen, type, sizeof(data), &data);
}
bool mnl_attr_put_u16_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint16_t data) {
    return mnl_attr_put_check(nlh, buflen, type, sizeof(data), &data);
}
bool mnl_attr_put_u32_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint32_t data) {
    return mnl_attr_put_check(nlh, buflen, type, sizeof(data), &data);
}
bool mnl_attr_put_u64_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint64_t data) {
    return mnl_attr_put_check(nlh, buflen, type, sizeof(data), &data);
}
bool mnl_attr_put_str_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, const char *data) {
    return mnl_attr_put_check(nlh, buflen, type, strlen(data), data);
}
bool mnl_attr_put_strz_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type,
                             const char *data) {
    return mnl_attr_put_check(nlh, buflen, type, strlen(data) + 1, data);
}

struct nlattr *mnl_attr_nest_start(struct nlmsghdr *nlh, uint16_t type) {
    struct nlattr *start = mnl_nlmsg_get_payload_tail(nlh);
    start->nla_type = NLA_F_NESTED | type;
    start->nla_len = MNL_ATTR_HDRLEN; // fixed by mnl_attr_nest_end
    nlh->nlmsg_len += MNL_ATTR_HDRLEN;
    return start;
}

struct nlattr *mnl_attr_nest_start_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type) {
    if (nlh->nlmsg_len + MNL_ATTR_HDRLEN > buflen) return NULL;
    return mnl_attr_nest_start(nlh, type);
}

void mnl_attr_nest_end(struct nlmsghdr *nlh, struct nlattr *start) {
    start->nla_len = (uint16_t)((char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)start);
}

void mnl_attr_nest_cancel(struct nlmsghdr *nlh, struct nlattr *start) {
    nlh->nlmsg_len -= (uint32_t)((char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)start);
}

int mnl_attr_type_valid(const struct nlattr *attr, uint16_t maxtype) {
    if (mnl_attr_get_type(attr) > maxtype) {
        errno = EOPNOTSUPP;
        return -1;
    }
    return 1;
}

// Payload size of the fixed-size types (0: no fixed size).
static size_t fixed_len(enum mnl_attr_data_type type) {
    switch (type) {
    case MNL_TYPE_U8: return sizeof(uint8_t);
    case MNL_TYPE_U16: return sizeof(uint16_t);
    case MNL_TYPE_U32: return sizeof(uint32_t);
    case MNL_TYPE_U64: return sizeof(uint64_t);
    case MNL_TYPE_MSECS: return sizeof(uint64_t);
    default: return 0;
    }
}

// len: the exact payload size wanted (mnl_attr_validate2), or 0 for the type's own rule.
static int validate(const struct nlattr *attr, enum mnl_attr_data_type type, size_t len) {
    const char *p = mnl_attr_get_payload(attr);
    size_t plen = mnl_attr_get_payload_len(attr);
    if ((unsigned)type >= MNL_TYPE_MAX) {
        errno = EINVAL;
        return -1;
    }
    if (attr->nla_len < MNL_ATTR_HDRLEN) {
        errno = ERANGE;
        return -1;
    }
    switch (type) {
    case MNL_TYPE_FLAG:
        if (plen != 0) goto range;
        break;
    case MNL_TYPE_NUL_STRING:
        if (plen == 0) goto range;
        if (p[plen - 1] != '\0') {
            errno = EINVAL;
            return -1;
        }
        break;
    case MNL_TYPE_STRING:
        if (plen == 0) goto range;
        break;
    case MNL_TYPE_NESTED:
        if (plen != 0 && plen < MNL_ATTR_HDRLEN) goto range;
        break;
    default:
        break;
    }
    if (len != 0 && plen != len) goto range;
    if (len == 0 && fixed_len(type) != 0 && plen < fixed_len(type)) goto range;
    return 0;
range:
    errno = ERANGE;
    return -1;
}

int mnl_attr_validate(const struct nlattr *attr, enum mnl_attr_data_type type) {
    return validate(attr, type, 0);
}

int mnl_attr_validate2(const struct nlattr *attr, enum mnl_attr_data_type type, size_t len) {
    return validate(attr, type, len);
}

bool mnl_attr_ok(const struct nlattr *attr, int len) {
    return len >= (int)sizeof(struct nlattr) && attr->nla_len >= sizeof(struct nlattr) &&
           (int)attr->nla_len <= len;
}

struct nlattr *mnl_attr_next(const struct nlattr *attr) {
    return (struct nlattr *)((char *)attr + MNL_ALIGN(attr->nla_len));
}

static int parse_range(const struct nlattr *attr, int len, mnl_attr_cb_t cb, void *data) {
    for (; mnl_attr_ok(attr, len); attr = mnl_attr_next(attr)) {
        int step = (int)MNL_ALIGN(attr->nla_len);
        int ret = cb(attr, data);
        if (ret <= MNL_CB_STOP) return ret;
        len -= step;
    }
    return MNL_CB_OK;
}

int mnl_attr_parse(const struct nlmsghdr *nlh, unsigned int offset, mnl_attr_cb_t cb,
                   void *data) {
    const struct nlattr *first = mnl_nlmsg_get_payload_offset(nlh, offset);
    int len = (int)((char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)first);
    return parse_range(first, len, cb, data);
}

int mnl_attr_parse_nested(const struct nlattr *nested, mnl_attr_cb_t cb, void *data) {
    return parse_range(mnl_attr_get_payload(nested), mnl_attr_get_payload_len(nested), cb, data);
}

int mnl_attr_parse_payload(const void *payload, size_t payload_len, mnl_attr_cb_t cb,
                           void *data) {
    return parse_range(payload, (int)payload_len, cb, data);
}

// ---------------------------------------------------------------------------------------------
// Callbacks

// The default handling of the control messages (types below NLMSG_MIN_TYPE).
static int control_default(const struct nlmsghdr *nlh) {
    switch (nlh->nlmsg_type) {
    case NLMSG_ERROR: {
        const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
        if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr))) {
            errno = EBADMSG;
            return MNL_CB_ERROR;
        }
        // An acknowledgement (error 0) ends the exchange; anything else is the error.
        errno = err->error < 0 ? -err->error : err->error;
        return err->error == 0 ? MNL_CB_STOP : MNL_CB_ERROR;
    }
    case NLMSG_DONE: return MNL_CB_STOP;
    default: return MNL_CB_OK; // NLMSG_NOOP, NLMSG_OVERRUN
    }
}

int mnl_cb_run2(const void *buf, size_t numbytes, unsigned int seq, unsigned int portid,
                mnl_cb_t cb_data, void *data, mnl_cb_t *cb_ctl_array,
                unsigned int cb_ctl_array_len) {
    const struct nlmsghdr *nlh = buf;
    int len = (int)numbytes;
    int ret = MNL_CB_OK;
    while (mnl_nlmsg_ok(nlh, len)) {
        if (!mnl_nlmsg_portid_ok(nlh, portid)) {
            errno = ESRCH;
            return -1;
        }
        if (!mnl_nlmsg_seq_ok(nlh, seq)) {
            errno = EPROTO;
            return -1;
        }
        if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
            errno = EINTR;
            return -1;
        }
        if (nlh->nlmsg_type >= NLMSG_MIN_TYPE) {
            if (cb_data != NULL) {
                ret = cb_data(nlh, data);
                if (ret <= MNL_CB_STOP) return ret;
            }
        } else if (cb_ctl_array != NULL && nlh->nlmsg_type < cb_ctl_array_len &&
                   cb_ctl_array[nlh->nlmsg_type] != NULL) {
            ret = cb_ctl_array[nlh->nlmsg_type](nlh, data);
            if (ret <= MNL_CB_STOP) return ret;
        } else {
            ret = control_default(nlh);
            if (ret <= MNL_CB_STOP) return ret;
        }
        nlh = mnl_nlmsg_next(nlh, &len);
    }
    return ret;
}

int mnl_cb_run(const void *buf, size_t numbytes, unsigned int seq, unsigned int portid,
               mnl_cb_t cb_data, void *data) {
    return mnl_cb_run2(buf, numbytes, seq, portid, cb_data, data, NULL, 0);
}
