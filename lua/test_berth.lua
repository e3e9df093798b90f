-- test_berth.lua DIR: the Lua module berth (berth.parse, berth.config,
-- berth.resolve) from the lua interpreter.  DIR is an empty scratch
-- directory.  Exits non-zero on the first failed check.
local berth = require("berth")
local dir = assert(arg[1], "usage: test_berth.lua DIR")
local D = "sha256:" .. string.rep("0123456789abcdef", 4)
local E = "sha256:" .. string.rep("1", 64)
local checks = 0

local function eq(got, want, what)
	checks = checks + 1
	if got ~= want then
		error(string.format("%s: got %q, want %q", what, tostring(got), tostring(want)), 2)
	end
end

local function write(path, text)
	local f = assert(io.open(path, "w"))
	f:write(text)
	f:close()
end

-- berth.parse: the fields of each form
local t = assert(berth.parse("busybox"))
eq(t.type, "docker", "type"); eq(t.registry, "docker.io", "registry")
eq(t.repository, "library/busybox", "repository"); eq(t.tag, "latest", "tag")
eq(t.digest, nil, "no digest"); eq(t.canonical, "docker:docker.io/library/busybox:latest", "canonical")
t = assert(berth.parse("docker:reg.example:5000/ns/app:1.0"))
eq(t.registry, "reg.example:5000", "registry with port"); eq(t.repository, "ns/app", "repo")
eq(t.tag, "1.0", "tag")
t = assert(berth.parse("ubuntu@" .. D))
eq(t.digest, D, "digest"); eq(t.tag, nil, "no tag with only a digest")
eq(t.canonical, "docker:docker.io/library/ubuntu@" .. D, "canonical digest ref")
t = assert(berth.parse("id:" .. D))
eq(t.type, "id", "id type"); eq(t.digest, D, "id digest"); eq(t.canonical, "id:" .. D, "id canonical")
t = assert(berth.parse("local:/images//x.sqfs"))
eq(t.type, "local", "local type"); eq(t.path, "/images/x.sqfs", "local path normalised")
t = assert(berth.parse(D:sub(8), "id"))
eq(t.type, "id", "default type id")

-- berth.parse: refusals come back as nil, message
local function refused(ref, want, default)
	local r, err = berth.parse(ref, default)
	eq(r, nil, "parse " .. ref)
	eq(err, want, "message for " .. ref)
end
refused("Busybox", 'repository "Busybox": must be lowercase')
refused("a\0b", "image reference holds a NUL byte")
refused("busybox", "unknown image type (use docker, id or local)", "podman")
local r, err = berth.parse("")
eq(r, nil, "empty ref"); assert(type(err) == "string" and #err > 0, "empty ref has a message")
r, err = berth.parse("id:sha256:XYZ")
eq(r, nil, "bad digest"); assert(err:find("sha256"), "bad digest message: " .. err)
eq(pcall(berth.parse), false, "parse() without argument raises")

-- berth.config
eq(pcall(berth.config, "relative/berth.conf"), false, "relative config path raises")
local missing = dir .. "/missing.conf"
eq(berth.config(missing), missing, "config returns the path")
eq(berth.config(), missing, "config() keeps it")
r, err = berth.resolve("busybox", 0)
eq(r, nil, "missing explicit config")
eq(err, missing .. ": No such file or directory", "missing config message")

local conf = dir .. "/berth.conf"
write(conf, "bogus = 1\n")
berth.config(conf)
r, err = berth.resolve("busybox", 0)
eq(err, conf .. ':1: unknown key "bogus"', "bad config message")

-- berth.resolve: a digest in the image dir needs no gateway (port 1 is closed)
local images = dir .. "/images"
assert(os.execute("mkdir -p '" .. images .. "'"))
write(images .. "/" .. D .. ".sqfs", "")
write(conf, "image_dir = " .. images .. "\ngateway_url = http://127.0.0.1:1\nlookup_timeout = 1s\n")
eq(berth.resolve("id:" .. D, 2001), D, "id in the image dir")
eq(berth.resolve("docker:busybox@" .. D, 0), D, "repo@digest in the image dir")
r, err = berth.resolve("local:/x.sqfs", 0)
eq(err, 'image "local:/x.sqfs": node-local images are not resolved', "local message")
r, err = berth.resolve("Busybox", 0)
eq(err, 'repository "Busybox": must be lowercase', "bad ref message")
eq(select(2, berth.resolve("busybox", -1)), "bad uid", "negative uid")
eq(select(2, berth.resolve("busybox", 1.5)), "bad uid", "fractional uid")
eq(select(2, berth.resolve("busybox", 2^32)), "bad uid", "uid too large")
eq(pcall(berth.resolve, "busybox", "alice"), false, "uid must be a number")
eq(pcall(berth.resolve, "busybox"), false, "uid is required")

-- the gateway asked: unreachable (needs munged for the credential)
local munge_ok = os.execute("munge -n </dev/null >/dev/null 2>&1")
r, err = berth.resolve("busybox", 0)
eq(r, nil, "unreachable gateway")
if munge_ok then
	eq(err, "image gateway http://127.0.0.1:1 unreachable: Connection refused", "unreachable message")
	r, err = berth.resolve("id:" .. E, 0)
	eq(err, "image gateway http://127.0.0.1:1 unreachable: Connection refused", "id not in dir asks the gateway")
else
	print("# munged not running: the unreachable-gateway message is not checked")
	assert(err:find("^cannot get a munge credential: "), err)
end

print(string.format("ok: %d checks", checks))
