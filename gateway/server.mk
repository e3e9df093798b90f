# gateway/server.mk: berth-gatewayd (HTTP API, munge auth, main).
