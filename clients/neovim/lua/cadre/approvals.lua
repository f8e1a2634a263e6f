-- cadre/approval.request (server → client): show the command or the diff,
-- then ask with vim.ui.select among params.choices, and answer
-- {decision, note}. Whatever goes wrong on the way is a denial.
local compat = require('cadre.compat')
local config = require('cadre.config')

local M = {}

-- How many approvals are on screen or waiting (for the statusline).
M.waiting = 0
local busy = false
local queue = {}

local labels = { allowOnce = 'Allow once', allowAlways = 'Allow always', deny = 'Deny' }

local function what(params)
  if params.kind == 'command' then return 'run a command' end
  if params.kind == 'edit' then
    local n = #(params.paths or {})
    return ('apply an edit to %d file%s'):format(n, n == 1 and '' or 's')
  end
  if params.kind == 'outsidePath' then return 'use a path outside the workspace' end
  return tostring(params.kind)
end

-- The preview's lines and filetype: who asks and why, then the payload.
function M.lines(params)
  local l = { 'cadre asks to ' .. what(params) }
  local function add(s) table.insert(l, s) end
  if (params.model or '') ~= '' then
    add(('  asked by: %s%s'):format(params.model, (params.role or '') ~= '' and (' (' .. params.role .. ')') or ''))
  end
  if params.why and params.why ~= '' then add('  why: ' .. params.why) end
  if params.kind == 'command' and params.sandboxed == false then
    add('  !! UNSANDBOXED: this command runs without the sandbox, with your permissions !!')
  end
  if params.network then add('  network: requested') end
  if params.cwd then add('  cwd: ' .. params.cwd) end
  if params.paths and #params.paths > 0 then
    local shown = {}
    for _, p in ipairs(params.paths) do table.insert(shown, vim.fn.fnamemodify(p, ':~:.')) end
    add('  paths: ' .. table.concat(shown, ', '))
  end
  if params.alwaysRules and #params.alwaysRules > 0 then
    add('  "allow always" remembers: ' .. table.concat(params.alwaysRules, ', '))
  end
  add(string.rep('─', 60))
  local ft = 'text'
  if params.command then
    vim.list_extend(l, vim.split(params.command, '\n', { plain = true }))
    ft = 'sh'
  elseif params.diff then
    local d = vim.split(params.diff, '\n', { plain = true })
    if d[#d] == '' then table.remove(d) end
    vim.list_extend(l, d)
    ft = 'diff'
  end
  return l, ft
end

local function open_preview(params)
  local lines, ft = M.lines(params)
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].bufhidden = 'wipe'
  vim.bo[buf].filetype = ft
  vim.bo[buf].modifiable = false
  pcall(vim.api.nvim_buf_set_name, buf, 'cadre://approval/' .. buf)
  local win
  if config.values.approvals.preview == 'split' then
    vim.cmd(('botright %dsplit'):format(math.min(#lines, math.floor(vim.o.lines / 2))))
    win = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_buf(win, buf)
    vim.cmd('wincmd p')
  else
    local width = 20
    for _, s in ipairs(lines) do width = math.max(width, vim.fn.strdisplaywidth(s)) end
    width = math.min(width + 2, vim.o.columns - 4)
    -- Room below for the question.
    local height = math.max(1, math.min(#lines, vim.o.lines - 10))
    win = vim.api.nvim_open_win(buf, false, {
      -- Low on the screen, just above the question, so the top of the
      -- windows (often the diff being approved) stays in view.
      relative = 'editor', row = math.max(1, vim.o.lines - height - 9), col = math.floor((vim.o.columns - width) / 2),
      width = width, height = height, style = 'minimal', border = 'single',
    })
    -- Readable with the default colors (NormalFloat is a menu color there);
    -- a color scheme can restyle CadreApproval.
    vim.cmd('highlight default link CadreApproval Normal')
    vim.wo[win].winhighlight = 'NormalFloat:CadreApproval'
  end
  vim.cmd('redraw')
  return win
end

local function close_preview(win)
  if win and vim.api.nvim_win_is_valid(win) then vim.api.nvim_win_close(win, true) end
end

-- Ask the user; done({decision, note}) runs exactly once.
function M.ask(params, done)
  local choices = params.choices
  if type(choices) ~= 'table' or #choices == 0 then choices = { 'allowOnce', 'deny' } end
  local win = open_preview(params)
  local answered = false
  local function finish(answer)
    if answered then return end
    answered = true
    close_preview(win)
    done(answer)
  end
  local ok, e = pcall(vim.ui.select, choices, {
    prompt = ('cadre: %s?'):format(what(params)),
    kind = 'cadre.approval',
    format_item = function(c)
      if c == 'allowAlways' and params.alwaysRules and #params.alwaysRules > 0 then
        return ('Allow always (%s)'):format(table.concat(params.alwaysRules, ', '))
      end
      return labels[c] or c
    end,
  }, function(choice)
    if choice == 'allowOnce' or choice == 'allowAlways' then
      return finish({ decision = choice })
    end
    if config.values.approvals.deny_note then
      vim.ui.input({ prompt = 'cadre: a note for the model (optional): ' }, function(note)
        finish({ decision = 'deny', note = (note and note ~= '') and note or nil })
      end)
    else
      finish({ decision = 'deny' })
    end
  end)
  if not ok then
    vim.notify('cadre: the approval prompt failed (' .. tostring(e) .. '); denied', vim.log.levels.ERROR)
    finish({ decision = 'deny', note = 'the approval prompt failed in Neovim' })
  end
end

-- The LSP handler for the server request; its return value is the reply.
function M.handle(_, params, _)
  -- JSON nulls (vim.NIL on releases that keep them) read as absent.
  params = vim.tbl_map(function(v) return v ~= vim.NIL and v or nil end, type(params) == 'table' and params or {})
  M.waiting = M.waiting + 1
  vim.cmd('redrawstatus')
  local answer
  if compat.can_yield() then
    -- Newer releases run this in a coroutine: wait for an asynchronous
    -- picker by yielding, one approval on screen at a time.
    local co = coroutine.running()
    if busy then
      table.insert(queue, co)
      coroutine.yield()
    end
    busy = true
    M.ask(params, function(a) vim.schedule(function() coroutine.resume(co, a) end) end)
    answer = coroutine.yield()
    busy = false
    local nxt = table.remove(queue, 1)
    if nxt then vim.schedule(function() coroutine.resume(nxt) end) end
  else
    -- Older releases need the answer before this returns: the default
    -- vim.ui.select is synchronous; an asynchronous one is waited for.
    M.ask(params, function(a) answer = a end)
    if not answer then
      vim.wait(config.values.approvals.timeout_ms, function() return answer ~= nil end, 20)
    end
    answer = answer or { decision = 'deny', note = 'no answer in Neovim in time' }
  end
  M.waiting = M.waiting - 1
  vim.cmd('redrawstatus')
  return answer
end

return M
