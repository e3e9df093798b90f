EXTRA_DIST += doc/HACKING.md doc/image-wait.md
dist_man_MANS += doc/berth.conf.5
# berth-gatewayd: its man pages, example configuration and systemd unit
dist_man_MANS += doc/berth-gatewayd.8 doc/berth-gateway.conf.5
EXTRA_DIST += etc/berth-gateway.conf.example etc/berth-gatewayd.service
