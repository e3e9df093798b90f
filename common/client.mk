# common/client.mk: libberth_client.la, the gateway client (gateway_client.h).
