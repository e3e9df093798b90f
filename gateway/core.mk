# gateway/core.mk: image records (SQLite), workers, publishing, ACLs, expiry
# (gw_service.h).  Adds to gateway_libberth_gateway_la_SOURCES.
