-- Shared by the headless Neovim tests: fixtures on disk, the plugin set up
-- against the real cadre binary ($CADRE_BIN), waiting for replies, checks
-- that print "ok"/"FAIL" lines, and the exit code through :cquit.
local H = {}

H.failures = 0
H.passed = 0
H.notes = {} -- every vim.notify: {msg, level}

local function out(s) io.stdout:write(s .. '\n') end
H.out = out

function H.check(cond, what, detail)
  if cond then
    H.passed = H.passed + 1
    out('ok   ' .. what)
  else
    H.failures = H.failures + 1
    out('FAIL ' .. what .. (detail and ('\n     ' .. tostring(detail):gsub('\n', '\n     ')) or ''))
  end
  return cond
end

function H.eq(actual, expected, what)
  return H.check(vim.deep_equal(actual, expected), what,
    'expected: ' .. vim.inspect(expected) .. '\n     actual:   ' .. vim.inspect(actual))
end

function H.contains(haystack, needle, what)
  return H.check(type(haystack) == 'string' and haystack:find(needle, 1, true) ~= nil, what,
    'looked for: ' .. vim.inspect(needle) .. '\n     in: ' .. vim.inspect(haystack))
end

function H.wait(pred, what, ms)
  local ok = vim.wait(ms or 15000, pred, 10)
  if what then H.check(ok, what) end
  return ok
end

-- Write a fixture project: files is path → content. A .cadre/ directory
-- marks the root. Returns the directory (no trailing slash).
function H.project(files)
  local dir = vim.fn.resolve(vim.fn.tempname())
  vim.fn.mkdir(dir .. '/.cadre', 'p')
  for path, content in pairs(files) do
    local full = dir .. '/' .. path
    vim.fn.mkdir(vim.fn.fnamemodify(full, ':h'), 'p')
    local f = assert(io.open(full, 'w'))
    f:write(content)
    f:close()
  end
  return dir
end

function H.read(path)
  local f = io.open(path, 'r')
  if not f then return nil end
  local s = f:read('*a')
  f:close()
  return s
end

function H.buf_text(buf)
  return table.concat(vim.api.nvim_buf_get_lines(buf or 0, 0, -1, false), '\n') .. '\n'
end

-- The first line (1-based) of a buffer containing `needle`, or nil.
function H.row_of(buf, needle)
  for i, l in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    if l:find(needle, 1, true) then return i end
  end
end

-- Load the plugin the way Neovim would and set it up against $CADRE_BIN.
function H.setup(opts)
  vim.cmd('filetype on')
  vim.cmd('runtime! plugin/cadre.lua')
  vim.notify = function(msg, level)
    table.insert(H.notes, { msg = msg, level = level })
    out('     notify[' .. tostring(level) .. '] ' .. msg)
  end
  local bin = assert(vim.env.CADRE_BIN, 'CADRE_BIN must name the cadre binary')
  return require('cadre').setup(vim.tbl_deep_extend('force', { cmd = { bin, 'serve', '--stdio' } }, opts or {}))
end

-- The last notification containing `needle` (or nil).
function H.note(needle)
  for i = #H.notes, 1, -1 do
    if H.notes[i].msg:find(needle, 1, true) then return H.notes[i] end
  end
end

-- Open a project file and wait for cadre to attach to it.
function H.open(dir, rel)
  vim.cmd('edit ' .. vim.fn.fnameescape(dir .. '/' .. rel))
  local buf = vim.api.nvim_get_current_buf()
  H.wait(function() return require('cadre.client').get(buf) ~= nil end, 'cadre attached to ' .. rel)
  return buf, require('cadre.client').get(buf)
end

-- A cadre request through the plugin's client, waited for: result, err.
function H.request(method, params, ms)
  local c = assert(require('cadre.client').current(), 'no cadre client')
  local done, res, err = false, nil, nil
  require('cadre.client').request(c, method, params, function(e, r)
    done, res, err = true, r, e
  end, { quiet = true })
  H.wait(function() return done end, nil, ms)
  return res, err
end

-- Wait until the server has indexed the project (cadre/repoMap answers).
function H.wait_indexed()
  local deadline = vim.loop.now() + 20000
  repeat
    local _, err = H.request('cadre/repoMap', { tokens = 64 })
    if not err then return H.check(true, 'project indexed') end
    vim.wait(50)
  until vim.loop.now() > deadline
  return H.check(false, 'project indexed')
end

local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
H.jobs = {}

local function write(path, text)
  vim.fn.mkdir(vim.fn.fnamemodify(path, ':h'), 'p')
  local f = assert(io.open(path, 'w'))
  f:write(text)
  f:close()
end

-- Start the scripted model server (scripted_models.py: scripted_openai.py
-- plus stalls) on `scenario` ({models = {name = {answer, …}}}) and write the
-- user config with three models — planner (plan-model), executor
-- (exec-model), reviewer (review-model) — in $XDG_CONFIG_HOME/cadre. Call it
-- before the server starts (H.open). Returns {requests(), stalls()}: what
-- each model was sent, and the stalls (with hungUp when cadre closed one).
function H.models(scenario)
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, 'p')
  write(dir .. '/scenario.json', vim.fn.json_encode(scenario))
  local log, portfile = dir .. '/requests.jsonl', dir .. '/port'
  local job = vim.fn.jobstart({ 'python3', here .. 'scripted_models.py', '--scenario', dir .. '/scenario.json',
    '--log', log, '--port-file', portfile }, {
    on_stderr = function(_, data) for _, l in ipairs(data) do if l ~= '' then out('     models: ' .. l) end end end,
  })
  assert(job > 0, 'cannot start scripted_models.py')
  table.insert(H.jobs, job)
  assert(vim.wait(5000, function() return vim.loop.fs_stat(portfile) ~= nil end, 10), 'the model server did not start')
  local base = 'http://127.0.0.1:' .. vim.trim(H.read(portfile)) .. '/v1'
  local function model(name) return { api = 'openai', baseUrl = base, model = name } end
  write(vim.env.XDG_CONFIG_HOME .. '/cadre/config.json', vim.fn.json_encode({
    models = { planner = model('plan-model'), executor = model('exec-model'), reviewer = model('review-model') },
    roles = { planner = { 'planner' }, executor = { 'executor' }, reviewer = { 'reviewer' },
      coordinator = { 'executor' }, worker = { 'executor' } },
  }))
  local function lines(path)
    local t = {}
    for _, l in ipairs(vim.fn.filereadable(path) == 1 and vim.fn.readfile(path) or {}) do
      table.insert(t, vim.fn.json_decode(l))
    end
    return t
  end
  return {
    requests = function() return lines(log) end,
    stalls = function() return lines(log .. '.stalls') end,
  }
end

-- An edit_file call's arguments: one SEARCH/REPLACE block.
function H.edit(path, search, replace)
  return { name = 'edit_file', arguments = {
    edits = ('%s\n<<<<<<< SEARCH\n%s=======\n%s>>>>>>> REPLACE\n'):format(path, search, replace) } }
end

-- The text of every message a logged model request carried.
function H.sent(request)
  local t = {}
  for _, m in ipairs(request.messages or {}) do
    if type(m.content) == 'string' then table.insert(t, m.content) end
  end
  return table.concat(t, '\n')
end

-- Run the test body; report and exit with the number of failures.
function H.run(body)
  local ok, err = xpcall(body, debug.traceback)
  if not ok then H.check(false, 'test body raised an error', err) end
  out(('%d checks passed, %d failed'):format(H.passed, H.failures))
  for _, c in ipairs(require('cadre.compat').clients()) do
    pcall(require('cadre.compat').call, c, 'stop')
  end
  vim.wait(1000, function() return #require('cadre.compat').clients() == 0 end, 20)
  for _, job in ipairs(H.jobs) do pcall(vim.fn.jobstop, job) end
  vim.cmd('cquit ' .. math.min(H.failures, 100))
end

return H
