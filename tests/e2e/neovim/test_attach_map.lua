-- A fixture project opens, cadre attaches, the buffer-local commands exist,
-- :CadreMap shows the repo map and <CR> in it opens a definition;
-- :CadreStatus shows the connection; the statusline component answers;
-- :CadreAsk without a prompt asks for one, and with no model configured the
-- task fails saying what to configure.
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
package.path = here .. '?.lua;' .. package.path
local H = require('helpers')

H.run(function()
  -- cmd as a path to the binary; keymaps on, one changed, one left out.
  -- settings reach cadre as initializationOptions.settings.cadre.
  local cfg = H.setup({ cmd = vim.env.CADRE_BIN, keymaps = { CadreMap = '<leader>M', CadreApply = false },
    settings = { log = { level = 'warn' }, modles = {} },
    -- No model anywhere, even where an Ollama listens on its default port.
    cmd_env = { OLLAMA_HOST = '127.0.0.1:9' } })
  H.eq(cfg.cmd, { vim.env.CADRE_BIN, 'serve', '--stdio' }, 'cmd given as a path gets `serve --stdio`')
  H.eq(cfg.approvals.preview, 'float', 'nested defaults survive the merge')
  local dir = H.project({
    ['pkg/__init__.py'] = '',
    ['pkg/text/__init__.py'] = '',
    ['pkg/text/utils.py'] = 'def slugify(s):\n    return s.lower()\n',
    ['pkg/text/case.py'] = 'from pkg.text.utils import slugify\n\ndef titlecase(s):\n    return slugify(s).title()\n',
    ['main.py'] = 'from pkg.text.case import titlecase\nprint(titlecase("x"))\n',
  })
  local buf = H.open(dir, 'main.py')
  H.eq(vim.g.loaded_cadre, 1, 'plugin/cadre.lua ran once (load guard set)')
  for _, name in ipairs({ 'CadreMap', 'CadreDiff', 'CadreApply', 'CadreDiscard', 'CadreLint', 'CadreRename',
    'CadreFix', 'CadreStatus', 'CadreCancel', 'CadreAsk', 'CadrePlan', 'CadreExplain', 'CadreCheckpoints' }) do
    H.check(vim.api.nvim_buf_get_commands(buf, {})[name] ~= nil, ':' .. name .. ' is defined in the buffer')
  end
  H.check(vim.api.nvim_get_commands({})['CadreHealth'] ~= nil, ':CadreHealth is global')
  H.contains(require('cadre').statusline(), 'cadre', 'statusline component names cadre when attached')
  local function has_map(lhs)
    return vim.fn.maparg(lhs, 'n', false, true).buffer == 1
  end
  H.check(has_map('<leader>M'), 'the configured mapping for :CadreMap is buffer-local')
  H.check(has_map('<leader>cd'), 'a default mapping (:CadreDiff) is there')
  H.check(not has_map('<leader>ca'), 'a mapping set to false is left out')
  H.wait_indexed()
  local c = require('cadre.client').get(buf)
  H.wait(function() return require('cadre.progress').last[c.id] ~= nil end, 'indexing progress reached the plugin')
  H.contains(require('cadre.progress').last[c.id].text, 'Indexing', '... titled Indexing')

  vim.cmd('CadreMap')
  H.wait(function() return vim.api.nvim_buf_get_name(0):match('cadre://map$') ~= nil end, ':CadreMap opened cadre://map')
  local text = H.buf_text(0)
  H.contains(text, 'pkg/text/utils.py:', 'map lists pkg/text/utils.py')
  H.contains(text, 'def slugify(s)', 'map shows the signature of slugify')
  H.eq(vim.bo.buftype, 'nofile', 'map buffer is a scratch buffer')
  -- <CR> on the slugify line opens its definition.
  local row
  for i, l in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, false)) do
    if l:find('def slugify', 1, true) then row = i end
  end
  vim.api.nvim_win_set_cursor(0, { row, 0 })
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<CR>', true, false, true), 'x', false)
  H.eq(vim.fn.fnamemodify(vim.api.nvim_buf_get_name(0), ':.'), vim.fn.fnamemodify(dir .. '/pkg/text/utils.py', ':.'),
    '<CR> in the map opened pkg/text/utils.py')
  H.eq(vim.api.nvim_win_get_cursor(0)[1], 1, '... at the line of slugify')

  vim.cmd('buffer ' .. buf)
  vim.cmd('CadreStatus')
  H.wait(function() return vim.api.nvim_buf_get_name(0):match('cadre://status$') ~= nil end, ':CadreStatus opened cadre://status')
  local st = H.buf_text(0)
  H.contains(st, 'cadre 0.1.0', 'status shows the server version')
  H.contains(st, 'main.py', 'status lists the open document')
  H.contains(st, 'cadre/repoMap', 'status lists the methods called')
  H.contains(st, 'modles: unknown setting', 'editor settings from setup{} reached cadre (its warning is shown)')
  H.check(not st:find('log.level', 1, true), '... and a valid one was taken without complaint')

  vim.cmd('buffer ' .. buf)

  -- :CadreAsk and :CadrePlan without a prompt ask for one; nothing starts
  -- when none is given.
  local prompts = {}
  vim.ui.input = function(opts, on_confirm)
    table.insert(prompts, opts.prompt)
    on_confirm(nil)
  end
  vim.cmd('CadreAsk')
  vim.cmd('CadrePlan')
  H.eq(prompts, { 'cadre: ask: ', 'cadre: plan: ' }, ':CadreAsk and :CadrePlan ask for the prompt')
  -- With no model configured and no Ollama, a task fails saying what to
  -- configure.
  vim.ui.input = function(_, on_confirm) on_confirm('add a docstring to slugify') end
  H.notes = {}
  vim.cmd('CadreAsk')
  H.wait(function() return H.note('task task-1 failed') ~= nil end, 'a task with no model fails')
  local n = H.note('task task-1 failed')
  H.eq(n and n.level, vim.log.levels.ERROR, '... at ERROR level')
  H.contains(n and n.msg, 'docs/models.md', '... naming what to configure')
  local tb = vim.fn.bufnr('cadre://task/task-1')
  H.contains(tb ~= -1 and H.buf_text(tb) or '', 'prompt: add a docstring to slugify', 'the task buffer has the prompt')
  H.contains(tb ~= -1 and H.buf_text(tb) or '', 'status: failed — ', '... and the failure in its header')
end)
