/*
** status.h: what every call of the library answers, ox_status.
**
** A leaf of lib/: every layer returns these codes, from the store at the bottom to
** service.h at the top, so they are defined below all of them.  A call that returns
** anything but OX_OK has left a one-line reason in its service's error (service.h,
** ox_service_error) or in the caller's err buffer.
*/
#ifndef OX_STATUS_H
#define OX_STATUS_H

typedef enum {
    OX_OK = 0,
    OX_ERR_DB,          /* SQLite failed (I/O, full disk, corrupt file) */
    OX_ERR_FOREIGN_DB,  /* the file is not this role's database */
    OX_ERR_FRAME,       /* a frame was rejected (bad bytes, or not for this role) */
    OX_ERR_REFUSED,     /* pay(): the request itself is invalid (amount <= 0) */
    OX_ERR_ROLE,        /* the call does not apply to this role */
    OX_ERR_NOMEM,
    OX_ERR_ARG          /* the caller's argument cannot be used (a database path too long) */
} ox_status;

#endif
