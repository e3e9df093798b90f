# lua/: the Lua module `berth` for job_submit.lua.
