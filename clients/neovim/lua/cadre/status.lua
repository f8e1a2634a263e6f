-- :CadreStatus — what the server knows about this connection (cadre/status)
-- and the tasks with shadow changes (cadre/shadow.status), in a scratch
-- buffer; and the statusline component.
local approvals = require('cadre.approvals')
local client = require('cadre.client')
local progress = require('cadre.progress')
local scratch = require('cadre.scratch')

local M = {}

M.bufname = 'cadre://status'

function M.lines(st, tasks, c)
  local l = {}
  local function add(s) table.insert(l, s) end
  add(('cadre %s — connection up %.1f s — positions %s'):format(
    st.version or '?', (st.uptimeMs or 0) / 1000, st.positionEncoding or '?'))
  add('client: id ' .. c.id .. ', root ' .. tostring(c.config.root_dir))
  add('')
  add('workspace folders:')
  for _, f in ipairs(st.workspaceFolders or {}) do add(('  %s  %s'):format(f.name, f.uri)) end
  add(('open documents (%d):'):format(#(st.documents or {})))
  for _, d in ipairs(st.documents or {}) do
    add(('  %s  %s  v%d  %d bytes, %d lines'):format(vim.uri_to_fname(d.uri), d.languageId, d.version, d.bytes, d.lines))
  end
  local cfg = st.config or {}
  add('config files:')
  for _, s in ipairs(cfg.sources or {}) do add('  ' .. s) end
  if #(cfg.sources or {}) == 0 then add('  (none: defaults)') end
  for _, d in ipairs(cfg.diagnostics or {}) do
    add(('  %s: %s%s (%s)'):format(d.severity, d.key ~= '' and (d.key .. ': ') or '', d.message, d.source))
  end
  add('shadow workspaces:')
  for _, t in ipairs(tasks or {}) do
    local files = {}
    for _, f in ipairs(t.files or {}) do table.insert(files, f.change .. ' ' .. f.path) end
    add(('  %s: %s'):format(t.task, table.concat(files, ', ')))
  end
  if #(tasks or {}) == 0 then add('  (no task has changes)') end
  local p = progress.text(c.id, true)
  if p ~= '' then add('progress: ' .. p) end
  add('requests (calls, errors, mean ms, max ms):')
  local names = vim.tbl_keys(st.methods or {})
  table.sort(names)
  for _, name in ipairs(names) do
    local m = st.methods[name]
    add(('  %-36s %5d %5d %9.3f %9.3f'):format(name, m.calls, m.errors, m.meanMs, m.maxMs))
  end
  return l
end

function M.open()
  local c = client.require_client()
  if not c then return end
  client.request(c, 'cadre/status', nil, function(err, st)
    if err then return end
    client.request(c, 'cadre/shadow.status', nil, function(err2, sh)
      local tasks = (not err2 and sh and sh.tasks) or {}
      local buf = scratch.buffer(M.bufname, M.lines(st, tasks, c), 'cadrestatus')
      scratch.show(buf, 'botright new')
      vim.api.nvim_win_set_cursor(0, { 1, 0 })
    end, { quiet = true })
  end)
end

-- For 'statusline': '' when no cadre serves the buffer; otherwise "cadre",
-- plus an approval waiting, the task running (or ready, or just ended),
-- running progress, or the request waiting.
function M.statusline()
  local ok, c = pcall(client.get, 0)
  if not ok or not c then return '' end
  if approvals.waiting > 0 then return 'cadre: approval?' end
  local t = require('cadre.task').statusline(c.id)
  if t ~= '' then return 'cadre: ' .. t end
  local p = progress.text(c.id)
  if p ~= '' then return 'cadre: ' .. p end
  local last = client.pending[#client.pending]
  if last then return 'cadre: ' .. last.method:gsub('^cadre/', '') .. '…' end
  p = progress.text(c.id, true)
  return p ~= '' and ('cadre: ' .. p) or 'cadre'
end

return M
