-- The :Cadre… commands as data, defined buffer-locally when cadre attaches
-- to a buffer and only where the server supports the method behind them.
local client = require('cadre.client')
local compat = require('cadre.compat')
local config = require('cadre.config')

local M = {}

local function lazy(mod, fn)
  return function(args) return require(mod)[fn](args) end
end

local function complete_tasks(lead) return require('cadre.shadow').complete(lead) end

local function fix(args)
  if args.range and args.range > 0 then
    if vim.lsp.buf.range_code_action then
      return vim.lsp.buf.range_code_action(nil, { args.line1, 0 }, { args.line2, 0 })
    end
    return vim.lsp.buf.code_action({ range = { start = { args.line1, 0 }, ['end'] = { args.line2, 0 } } })
  end
  vim.lsp.buf.code_action()
end

local function rename(args)
  -- The second argument (a filter naming the client) is ignored where
  -- rename takes only the new name.
  vim.lsp.buf.rename(args.args ~= '' and args.args or nil, { name = client.name })
end

-- The newest waiting request first (the task.cancel sent next must not be
-- it), then the running task: the one named, this task buffer's, or the
-- newest.
local function cancel(args)
  local method = client.cancel_last()
  if method then client.notify('cancelled ' .. method) end
  local task, why = require('cadre.task').cancel(args.args)
  if task then
    client.notify('cancelling task ' .. task)
  elseif args.args ~= '' then
    client.notify(why, vim.log.levels.WARN)
  elseif not method then
    client.notify('no cadre task is running and no cadre request is waiting', vim.log.levels.WARN)
  end
end

local function complete_running(lead) return require('cadre.task').complete_running(lead) end


-- name, what it runs, the method it needs, and the command's attributes.
M.list = {
  { name = 'CadreMap', run = lazy('cadre.map', 'open'), method = 'cadre/repoMap', nargs = '?',
    desc = 'cadre: the ranked repo map [tokens]' },
  { name = 'CadreDiff', run = lazy('cadre.shadow', 'diff'), method = 'cadre/shadow.diff', nargs = '?', bang = true,
    complete = complete_tasks, desc = "cadre: this file beside the task's shadow version (! for the unified diff)" },
  { name = 'CadreApply', run = lazy('cadre.shadow', 'apply'), method = 'cadre/shadow.apply', nargs = '?',
    complete = complete_tasks, desc = "cadre: apply a task's shadow changes (asks for approval)" },
  { name = 'CadreDiscard', run = lazy('cadre.shadow', 'discard'), method = 'cadre/shadow.discard', nargs = '?',
    bang = true, complete = complete_tasks, desc = "cadre: discard a task's shadow changes (! without asking)" },
  { name = 'CadreLint', run = lazy('cadre.shadow', 'lint'), method = 'cadre/shadow.lint', nargs = '?',
    complete = complete_tasks, desc = "cadre: lint a task's change (new problems only)" },
  { name = 'CadreRename', run = rename, method = 'textDocument/rename', nargs = '?',
    desc = 'cadre: rename the symbol under the cursor across the project' },
  { name = 'CadreFix', run = fix, method = 'textDocument/codeAction', range = true,
    desc = "cadre: quick fixes for cadre's diagnostics here" },
  { name = 'CadreStatus', run = lazy('cadre.status', 'open'), method = 'cadre/status',
    desc = 'cadre: server, documents, config and shadow tasks' },
  { name = 'CadreCancel', run = cancel, nargs = '?', complete = complete_running,
    desc = 'cadre: cancel the running task [task] and the last cadre request' },
  { name = 'CadreAsk', run = lazy('cadre.task', 'ask'), method = 'cadre/task.start', nargs = '*',
    desc = 'cadre: ask for a change {prompt}: plan, execute, review, in a shadow' },
  { name = 'CadrePlan', run = lazy('cadre.task', 'plan'), method = 'cadre/task.start', nargs = '*',
    desc = 'cadre: the same task as :CadreAsk, with its plan at the top {prompt}' },
  { name = 'CadreExplain', run = lazy('cadre.task', 'explain'), method = 'cadre/task.start', range = true,
    nargs = '*', desc = 'cadre: explain the selected lines [question]' },
  { name = 'CadreCheckpoints', run = lazy('cadre.checkpoints', 'command'), method = 'cadre/checkpoint.list', nargs = '*',
    bang = true, complete = function(lead, line) return require('cadre.checkpoints').complete(lead, line) end,
    desc = 'cadre: checkpoints: list, create [msg], diff [id], restore {id}' },
}

function M.supports(c, method)
  local ok, yes = pcall(compat.call, c, 'supports_method', method)
  return ok and yes
end

-- Define the commands (and the configured mappings) in one buffer.
function M.attach(c, bufnr)
  local keys = config.keymaps()
  for _, cmd in ipairs(M.list) do
    if not cmd.method or M.supports(c, cmd.method) then
      vim.api.nvim_buf_create_user_command(bufnr, cmd.name, cmd.run, {
        nargs = cmd.nargs, bang = cmd.bang, range = cmd.range, desc = cmd.desc,
        complete = cmd.complete,
      })
      local lhs = keys[cmd.name]
      if lhs then
        vim.keymap.set('n', lhs, '<cmd>' .. cmd.name .. '<CR>', { buffer = bufnr, desc = cmd.desc })
      end
    end
  end
  vim.b[bufnr].cadre_attached = c.id
end

return M
