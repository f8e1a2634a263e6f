-- :checkhealth cadre — the binary, its version, a server that starts and
-- answers cadre/status, the models cadre can reach (`cadre models health`)
-- and the sandbox. Every verdict comes from cadre itself or the tool it
-- names; nothing here judges the project.
local compat = require('cadre.compat')
local config = require('cadre.config')

local M = {}

local PROBE_TIMEOUT_MS = 10000
local MODELS_TIMEOUT_MS = 15000

local function frame(msg)
  local body = vim.json.encode(msg)
  return ('Content-Length: %d\r\n\r\n%s'):format(#body, body)
end

-- Start `cmd` in `cwd`, send initialize, cadre/status, shutdown and exit,
-- and return the decoded replies by id, plus stderr.
local function probe(cmd, cwd)
  local out, err_lines, replies = '', {}, {}
  local function parse()
    while true do
      local hdr_end = out:find('\r\n\r\n', 1, true)
      if not hdr_end then return end
      local len = tonumber(out:sub(1, hdr_end):match('[Cc]ontent%-[Ll]ength:%s*(%d+)'))
      if not len or #out < hdr_end + 3 + len then return end
      local body = out:sub(hdr_end + 4, hdr_end + 3 + len)
      out = out:sub(hdr_end + 4 + len)
      local ok, msg = pcall(vim.json.decode, body)
      if ok and type(msg) == 'table' and msg.id ~= nil and msg.method == nil then replies[msg.id] = msg end
    end
  end
  local ok, job = pcall(vim.fn.jobstart, cmd, {
    cwd = cwd,
    env = config.values.cmd_env,
    on_stdout = function(_, data)
      out = out .. table.concat(data, '\n')
      parse()
    end,
    on_stderr = function(_, data) vim.list_extend(err_lines, data) end,
  })
  if not ok or job <= 0 then return nil, 'could not start ' .. table.concat(cmd, ' ') end
  local root_uri = vim.uri_from_fname(cwd)
  vim.fn.chansend(job, frame({ jsonrpc = '2.0', id = 1, method = 'initialize',
    params = { processId = vim.fn.getpid(), rootUri = root_uri, capabilities = vim.empty_dict() } }))
  vim.fn.chansend(job, frame({ jsonrpc = '2.0', method = 'initialized', params = vim.empty_dict() }))
  vim.fn.chansend(job, frame({ jsonrpc = '2.0', id = 2, method = 'cadre/status' }))
  vim.wait(PROBE_TIMEOUT_MS, function() return replies[2] ~= nil end, 20)
  vim.fn.chansend(job, frame({ jsonrpc = '2.0', id = 3, method = 'shutdown' }))
  vim.fn.chansend(job, frame({ jsonrpc = '2.0', method = 'exit' }))
  if vim.fn.jobwait({ job }, 2000)[1] == -1 then vim.fn.jobstop(job) end
  return replies, table.concat(err_lines, '\n')
end

-- Run a command with a deadline; returns stdout, exit code (-1 on timeout).
local function run(cmd, cwd, timeout)
  local chunks = {}
  local ok, job = pcall(vim.fn.jobstart, cmd, {
    cwd = cwd, env = config.values.cmd_env, stdout_buffered = true,
    on_stdout = function(_, data) chunks = data end,
  })
  if not ok or job <= 0 then return nil, -2 end
  local code = vim.fn.jobwait({ job }, timeout)[1]
  if code == -1 then vim.fn.jobstop(job) end
  return table.concat(chunks, '\n'), code
end

local function project_dir()
  local c = require('cadre.client').current()
  if c and c.config.root_dir then return c.config.root_dir end
  return vim.fn.getcwd()
end

function M.check()
  local h = compat.health()
  h.start('setup')
  if require('cadre').configured then
    h.ok("require('cadre').setup{} was called; filetypes: " .. table.concat(config.values.filetypes, ', '))
  else
    h.warn("require('cadre').setup{} has not been called: nothing starts cadre",
      { "call require('cadre').setup{} in your init.lua (see :help cadre-setup)" })
  end
  h.info('server command: ' .. table.concat(config.values.cmd, ' '))
  h.info(vim.lsp.start and 'starts the server with vim.lsp.start'
    or 'starts the server with vim.lsp.start_client + vim.lsp.buf_attach_client')

  h.start('binary')
  local bin = vim.fn.exepath(config.values.cmd[1])
  if bin == '' then
    h.error(config.values.cmd[1] .. ' not found or not executable',
      { 'install cadre and put it on $PATH, or pass cmd = "/path/to/cadre" to setup{}' })
    return
  end
  h.ok('found: ' .. bin)
  local version, vcode = run({ bin, '--version' }, vim.fn.getcwd(), 5000)
  if vcode == 0 and version and version:match('^cadre ') then
    h.ok('version: ' .. vim.trim(version))
  else
    h.error(('`%s --version` failed (exit %s): %s'):format(bin, tostring(vcode), vim.trim(version or '')))
  end

  h.start('server')
  local dir = project_dir()
  local cmd = vim.deepcopy(config.values.cmd)
  cmd[1] = bin
  local replies, stderr = probe(cmd, dir)
  local status = replies and replies[2]
  if status and status.result then
    local st = status.result
    h.ok(('`%s` started in %s and answered cadre/status (cadre %s)'):format(table.concat(cmd, ' '), dir, st.version))
    for _, d in ipairs((st.config or {}).diagnostics or {}) do
      local report = d.severity == 'error' and h.error or h.warn
      report(('config %s: %s%s'):format(d.source, d.key ~= '' and (d.key .. ': ') or '', d.message))
    end
  else
    local why = status and status.error and status.error.message or 'no answer to cadre/status'
    h.error(('the server did not answer (%s)'):format(why), { vim.trim(stderr or '') })
  end
  for _, c in ipairs(compat.clients()) do
    if c.name == 'cadre' then
      h.info(('running: client %d for %s%s'):format(c.id, tostring(c.config.root_dir),
        compat.is_stopped(c) and ' (stopped)' or ''))
    end
  end

  h.start('models')
  local out, mcode = run({ bin, 'models', 'health', '--json' }, dir, MODELS_TIMEOUT_MS)
  local okj, models = pcall(vim.json.decode, out or '')
  if mcode == -1 then
    h.warn('`cadre models health` did not finish in ' .. MODELS_TIMEOUT_MS / 1000 .. ' s')
  elseif not okj or type(models) ~= 'table' then
    h.info('this cadre build cannot check models (`cadre models health --json` gave no JSON)')
  else
    local reachable = 0
    for _, m in ipairs(models) do
      if m.reachable then
        reachable = reachable + 1
        h.ok(('%s at %s: reachable (%.0f ms)%s'):format(m.model, m.endpoint, m.latencyMs or 0,
          m.servesModel == false and ', but it does not serve the model' or ''))
      else
        h.warn(('%s at %s: %s'):format(m.model, m.endpoint, m.error or 'unreachable'))
      end
    end
    if reachable == 0 then
      h.warn('no model is reachable: model features will say what to configure',
        { '`cadre models health` in a terminal explains; see docs/models.md' })
    end
  end

  h.start('sandbox')
  local bw, bcode = run({ 'bwrap', '--version' }, vim.fn.getcwd(), 5000)
  if bcode == 0 then
    h.ok(vim.trim(bw or 'bubblewrap') .. ': commands can run sandboxed (checked with `bwrap --version`)')
  else
    h.error('bubblewrap (bwrap) not found: cadre refuses to run commands (run_command) without the sandbox',
      { 'install bubblewrap (apt install bubblewrap), or opt out of the sandbox explicitly (docs/security.md)' })
  end
end

return M
