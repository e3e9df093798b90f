-- job_submit.lua for test_lua.py: a site's own job_submit/lua script that
-- pins --image with berth's Lua module (lua/), the way the documentation
-- suggests.  @LUA_CPATH@ is replaced by the test (the build tree).
package.cpath = "@LUA_CPATH@/?.so;" .. package.cpath
local berth = require("berth")

local OPTION = "_SLURM_SPANK_OPTION_berth_image="

local function requested_image(job_desc)
	local env = job_desc.spank_job_env
	if env == nil then
		return nil
	end
	for _, entry in pairs(env) do
		if entry:sub(1, #OPTION) == OPTION then
			return entry:sub(#OPTION + 1)
		end
	end
	return nil
end

function slurm_job_submit(job_desc, part_list, submit_uid)
	local image = requested_image(job_desc)
	if image == nil then
		return slurm.SUCCESS
	end
	local parsed, perr = berth.parse(image)
	if parsed == nil then
		slurm.log_user("lua: " .. perr)
		return slurm.ERROR
	end
	local digest, err = berth.resolve(image, submit_uid)
	if digest == nil then
		slurm.log_user("lua: " .. err)
		return slurm.ERROR
	end
	job_desc.admin_comment = "image=" .. image .. "@" .. digest
	slurm.log_info("job_submit.lua: uid %u: %s pinned to %s", submit_uid, image, digest)
	return slurm.SUCCESS
end

function slurm_job_modify(job_desc, job_rec, part_list, modify_uid)
	return slurm.SUCCESS
end

return slurm.SUCCESS
