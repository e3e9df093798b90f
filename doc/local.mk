EXTRA_DIST += doc/HACKING.md
dist_man_MANS += doc/berth.conf.5
