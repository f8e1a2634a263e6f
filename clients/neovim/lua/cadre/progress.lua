-- Work-done progress ($/progress) from cadre, kept per client for the
-- statusline component. Neovim's own handler still runs afterwards.
local M = {}

local uv = vim.uv or vim.loop

-- client_id → token → {title, message, percentage}
M.state = {}
-- client_id → the last finished item's text and when it ended (shown briefly).
M.last = {}

local LINGER_MS = 3000

function M.handle(err, result, ctx, cfg)
  if result and result.value and ctx and ctx.client_id then
    local per = M.state[ctx.client_id] or {}
    M.state[ctx.client_id] = per
    local v, token = result.value, tostring(result.token)
    if v.kind == 'begin' then
      per[token] = { title = v.title, message = v.message, percentage = v.percentage }
    elseif v.kind == 'report' and per[token] then
      per[token].message = v.message or per[token].message
      per[token].percentage = v.percentage or per[token].percentage
    elseif v.kind == 'end' then
      local item = per[token]
      per[token] = nil
      M.last[ctx.client_id] = {
        text = ((item and item.title) or 'done') .. (v.message and (': ' .. v.message) or ''),
        at = uv.now(),
      }
      vim.defer_fn(function() vim.cmd('redrawstatus') end, LINGER_MS + 50)
    end
    vim.cmd('redrawstatus')
  end
  local default = vim.lsp.handlers['$/progress']
  if default then return default(err, result, ctx, cfg) end
end

local function describe(item)
  local s = item.title or ''
  if item.message and item.message ~= '' then s = s .. ' ' .. item.message end
  if item.percentage then s = s .. (' %d%%'):format(item.percentage) end
  return s
end

-- The running items of one client, as one short string ('' when idle);
-- with `recent`, the item that just ended when nothing runs.
function M.text(client_id, recent)
  local parts = {}
  for _, item in pairs(M.state[client_id] or {}) do
    table.insert(parts, describe(item))
  end
  table.sort(parts)
  if #parts == 0 and recent then
    local last = M.last[client_id]
    if last and uv.now() - last.at < LINGER_MS then return last.text end
  end
  return table.concat(parts, ', ')
end

return M
