-- An agent code action from cadre's lightbulb: vim.lsp.buf.code_action()
-- offers "Explain with cadre", picking it runs the server's cadre.explain
-- through workspace/executeCommand (the client's own path for commands),
-- the server answers {task}, and the plugin shows that task like one it
-- started: the streamed events, the answer, status answered.
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
package.path = here .. '?.lua;' .. package.path
local H = require('helpers')

local models = H.models({ models = {
  ['plan-model'] = {},
  ['exec-model'] = { { text = 'greet builds a greeting by prefixing "hello " to the name.' } },
  ['review-model'] = {},
} })

local offered
vim.ui.select = function(items, opts, on_choice)
  offered = {}
  local pick
  for i, it in ipairs(items) do
    local title = opts.format_item and opts.format_item(it) or tostring(it)
    table.insert(offered, title)
    if not pick and title:find('Explain with cadre', 1, true) then pick = i end
  end
  on_choice(pick and items[pick], pick)
end

H.run(function()
  H.setup()
  local dir = H.project({ ['greet.py'] = "def greet(name):\n    return 'hello ' + name\n" })
  local buf = H.open(dir, 'greet.py')
  H.wait_indexed()
  vim.api.nvim_win_set_cursor(0, { 2, 4 })
  vim.lsp.buf.code_action()
  H.wait(function() return offered ~= nil end, 'vim.lsp.buf.code_action() offered actions')
  H.check(vim.tbl_contains(offered or {}, 'Explain with cadre'), "cadre's agent actions are among them", vim.inspect(offered))
  local tb
  H.wait(function()
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_get_name(b):match('cadre://task/') then tb = b end
    end
    return tb ~= nil
  end, 'picking it showed the task the server started')
  local st
  H.wait(function()
    for _, s in pairs(require('cadre.task').tasks) do st = s end
    return st and st.status == 'answered'
  end, 'the task ends answered')
  local text = tb and H.buf_text(tb) or ''
  H.contains(text, 'prefixing "hello " to the name', 'the answer is in the task buffer')
  H.contains(text, '── answered: no file was changed ──', '... and the end')
  H.contains(text, 'cadre.explain', 'the buffer names the command')
  H.eq(#models.requests(), 1, 'one model request (the executor answering)')
  H.contains(H.sent(models.requests()[1] or {}), 'greet', "the code was in the model's prompt")
  H.eq(H.buf_text(buf), "def greet(name):\n    return 'hello ' + name\n", 'the file is untouched')
end)
