-- End-to-end test in real headless Neovim (0.11): the plugin on the runtimepath, the server
-- started through lsp/tinybird.lua + vim.lsp.enable, a copy of the example project in which the
-- materializing pipe computes a column its target lacks. Applies the whole safe migration
-- through code actions (add column, backfill, repoint, finish), writes the buffers and checks
-- the files on disk after each step; then :TinybirdAddColumn (answers fed to vim.ui) and
-- :TinybirdGraph; the deploy lens and :TinybirdPlan against the committed example (the copy is
-- a git repository); and the tree-sitter parser with the queries from grammar/.
--
--   nvim --headless --clean -l editors/neovim/test/e2e.lua SERVER EXAMPLE_DIR
local server, example = arg[1], arg[2]
assert(server and example, "usage: nvim --headless --clean -l e2e.lua SERVER EXAMPLE_DIR")
local plugin = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h:h")
vim.opt.runtimepath:prepend(plugin)
vim.cmd("filetype on")
vim.cmd("runtime! ftdetect/tinybird.lua")
vim.cmd("runtime! plugin/tinybird.lua")

local failures = 0
local function check(ok, what)
  if ok then
    io.stdout:write("nvim-e2e: ok   " .. what .. "\n")
  else
    failures = failures + 1
    io.stdout:write("nvim-e2e: FAIL " .. what .. "\n")
  end
end
local function read(path)
  local f = io.open(path, "r")
  if not f then
    return nil
  end
  local s = f:read("*a")
  f:close()
  return s
end
local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end
local function exists(path)
  return vim.uv.fs_stat(path) ~= nil
end
local function finish()
  io.stdout:write(string.format("nvim-e2e: %s\n", failures == 0 and "passed" or (failures .. " failed")))
  vim.cmd(failures == 0 and "qall!" or "cquit! 1")
end

-- A copy of the example; the user adds `country` to the materializing SELECT.
local project = vim.fn.tempname() .. "-project"
vim.fn.system({ "cp", "-r", example, project })
-- The example as deployed: committed, so that the deploy plan compares the edits with it.
for _, git_args in ipairs({ { "init", "-q" }, { "add", "-A" }, { "commit", "-q", "-m", "deployed" } }) do
  local cmd = { "git", "-C", project, "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false" }
  vim.list_extend(cmd, git_args)
  local r = vim.system(cmd, { text = true }):wait()
  assert(r.code == 0, "git " .. table.concat(git_args, " ") .. ": " .. (r.stderr or ""))
end
local pipe = project .. "/pipes/visits.pipe"
local original = read(pipe)
local edited = original:gsub(
  "        anySimpleState%(device%) AS device,\n",
  "        anySimpleState(device) AS device,\n        anySimpleState(country) AS country,\n"
)
assert(edited ~= original, "the example's visits.pipe changed: update this test")
write(pipe, edited)

-- The server, configured as a user would (lsp/tinybird.lua supplies the rest).
vim.lsp.config("tinybird", {
  cmd = { server, "serve" },
  init_options = { migration = { now = "2026-11-24 10:20:00" } },
})
vim.lsp.enable("tinybird")

local function set_now(client, now)
  client:notify("workspace/didChangeConfiguration", { settings = { migration = { now = now } } })
end

local function wait_diagnostic(buf, code, ms)
  local found
  vim.wait(ms or 15000, function()
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.code == code then
        found = d
        return true
      end
    end
    return false
  end, 50)
  return found
end

--- Applies the code action whose title matches `pattern` at diagnostic `d` of `buf`.
local function apply_action(buf, d, pattern)
  vim.api.nvim_set_current_buf(buf)
  vim.api.nvim_win_set_cursor(0, { d.lnum + 1, d.col })
  local applied = false
  vim.lsp.buf.code_action({
    apply = true,
    context = { diagnostics = { d.user_data and d.user_data.lsp or d }, only = nil },
    filter = function(action)
      local match = action.title:match(pattern) ~= nil
      applied = applied or match
      return match
    end,
  })
  vim.wait(5000, function()
    return applied
  end, 20)
  return applied
end

local function settle(path_that_must_exist)
  vim.wait(5000, function()
    return path_that_must_exist == nil or exists(path_that_must_exist)
  end, 20)
  vim.wait(300)
  vim.cmd("silent! wall")
end

vim.cmd.edit(pipe)
local buf = vim.api.nvim_get_current_buf()
check(vim.bo[buf].filetype == "tinybird", "a .pipe file has the tinybird file type")
local client
vim.wait(10000, function()
  client = vim.lsp.get_clients({ name = "tinybird", bufnr = buf })[1]
  return client ~= nil
end, 20)
check(client ~= nil, "the server attaches through lsp/tinybird.lua and vim.lsp.enable")
if not client then
  return finish()
end
check(client.config.root_dir == project, "the project root is found (" .. tostring(client.config.root_dir) .. ")")

-- Everyday features through Neovim's own LSP client: hover, definition, completion.
local function position_of(needle)
  for n, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local col = line:find(needle, 1, true)
    if col then
      return { line = n - 1, character = col - 1 }
    end
  end
end
local function ask(method, needle, extra)
  local params = vim.tbl_extend("force", {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = position_of(needle),
  }, extra or {})
  local answers = vim.lsp.buf_request_sync(buf, method, params, 5000) or {}
  for _, a in pairs(answers) do
    if a.result then
      return a.result
    end
  end
end
local hover = ask("textDocument/hover", "page_views")
check(hover ~= nil and hover.contents.value:find("`page_views`", 1, true) ~= nil
  and hover.contents.value:find("Read by", 1, true) ~= nil,
  "hover on a table shows the pipe, its nodes and readers")
local def = ask("textDocument/definition", "page_views")
check(def ~= nil and def[1] ~= nil and def[1].uri:find("pipes/page_views.pipe", 1, true) ~= nil,
  "go to definition opens the pipe that defines the table")
local completion = ask("textDocument/completion", "page_views")
local labels = {}
for _, item in ipairs(completion and completion.items or {}) do
  labels[item.label] = true
end
check(labels["page_events"] and labels["visits_mv"], "completion after FROM offers the project's tables")

-- Step 1: the diagnostic and its safe-migration quick fix.
local d = wait_diagnostic(buf, "materialization-schema-mismatch")
check(d ~= nil and d.message:find("`country` is not a column of `visits_mv`", 1, true) ~= nil,
  "the server reports `country` is not a column of `visits_mv`")
if not d then
  return finish()
end
check(apply_action(buf, d, "^Add `country` %(SimpleAggregateFunction%(any, String%)%) to `visits_mv`"),
  "the quick fix 'Add `country` ... through a safe migration' is offered and applied")
local new_target = project .. "/datasources/visits_mv_1.datasource"
local live = project .. "/pipes/visits_1.pipe"
settle(live)
check((read(new_target) or ""):find("`country` SimpleAggregateFunction(any, String)", 1, true) ~= nil,
  "step 1 created datasources/visits_mv_1.datasource with the column")
check((read(live) or ""):find("WHERE event_time >= '2026-11-25 00:00:00'", 1, true) ~= nil,
  "step 1 created pipes/visits_1.pipe cut at the day boundary after now + 60 min")
check(read(pipe) == original, "the legacy pipe is back as it was")

-- Step 2: after the cutoff, the backfill (quick fix of migration-missing-backfill).
set_now(client, "2026-11-25 02:00:00")
vim.cmd.edit(live)
local live_buf = vim.api.nvim_get_current_buf()
d = wait_diagnostic(live_buf, "migration-missing-backfill")
check(d ~= nil, "the new live pipe is reported as missing its backfill")
if d then
  check(apply_action(live_buf, d, "^Backfill `visits_mv_1` up to the cutoff"), "the backfill quick fix is applied")
end
local backfill = vim.fn.glob(project .. "/pipes/*backfill*.pipe", false, true)
settle(backfill[1])
backfill = vim.fn.glob(project .. "/pipes/*backfill*.pipe", false, true)
check(#backfill == 1 and (read(backfill[1]) or ""):find("2026-11-25 00:00:00", 1, true) ~= nil,
  "step 2 created the backfill pipe bounded by the same cutoff")
check(#vim.fn.glob(project .. "/tests/*backfill*.yaml", false, true) == 1, "and its quality test")

-- Step 3: repoint every dependent (quick fix of migration-unrepointed-dependent).
set_now(client, "2026-11-25 03:00:00")
local dashboard = project .. "/pipes/daily_visits.pipe"
vim.cmd.edit(dashboard)
local dash_buf = vim.api.nvim_get_current_buf()
d = wait_diagnostic(dash_buf, "migration-unrepointed-dependent")
check(d ~= nil, "a dependent still reading visits_mv is reported")
if d then
  check(apply_action(dash_buf, d, "^Repoint every dependent of `visits_mv` to `visits_mv_1`"), "the repoint quick fix is applied")
end
settle()
check((read(dashboard) or ""):find("FROM visits_mv_1", 1, true) ~= nil, "step 3: daily_visits reads visits_mv_1")
check((read(project .. "/pipes/visit_length.pipe") or ""):find("visits_mv_1", 1, true) ~= nil,
  "step 3: visit_length reads visits_mv_1 too")

-- Step 4: finish (quick fix of migration-leftover): the legacy files are deleted.
set_now(client, "2026-11-26 03:00:00")
-- The hint sits on the legacy pipe's DATASOURCE line.
vim.cmd.edit(pipe)
local leftover
vim.wait(15000, function()
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    for _, x in ipairs(vim.diagnostic.get(b)) do
      if x.code == "migration-leftover" then
        leftover = { buf = b, d = x }
        return true
      end
    end
  end
  return false
end, 50)
check(leftover ~= nil, "the leftover legacy datasource is reported")
if not leftover then
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    for _, x in ipairs(vim.diagnostic.get(b)) do
      io.stdout:write("  diagnostic " .. vim.api.nvim_buf_get_name(b) .. ": " .. tostring(x.code) .. " " .. x.message .. "\n")
    end
  end
  io.stdout:write(vim.fn.system({ server, "check", project }))
end
if leftover then
  check(apply_action(leftover.buf, leftover.d, "^Finish migration"), "the finish quick fix is applied")
end
vim.wait(5000, function()
  return not exists(project .. "/datasources/visits_mv.datasource")
end, 20)
settle()
check(not exists(project .. "/datasources/visits_mv.datasource"), "step 4 deleted datasources/visits_mv.datasource")
check(not exists(pipe), "and the legacy pipe pipes/visits.pipe")
check(#vim.fn.glob(project .. "/pipes/*backfill*.pipe", false, true) == 0, "and the backfill")
check(not (read(new_target) or ""):find("tinybird-lsp: replaces", 1, true), "and the marker line of the new target")

-- :TinybirdAddColumn with the answers a user would type.
local answers = { "path", "SimpleAggregateFunction(any, String)", "anySimpleState(path)" }
vim.ui.input = function(_, on_confirm)
  on_confirm(table.remove(answers, 1))
end
vim.ui.select = function(items, _, on_choice)
  on_choice(items[1])
end
vim.cmd.edit(new_target)
vim.cmd("TinybirdAddColumn")
local second = project .. "/datasources/visits_mv_2.datasource"
settle(second)
check((read(second) or ""):find("`path` SimpleAggregateFunction(any, String)", 1, true) ~= nil,
  ":TinybirdAddColumn asked name, type and expression and created visits_mv_2 with `path`")

-- :TinybirdGraph
vim.cmd("TinybirdGraph")
local graph_buf
vim.wait(5000, function()
  graph_buf = vim.fn.bufnr("tinybird://graph")
  return graph_buf > 0
end, 20)
local graph_text = graph_buf > 0 and table.concat(vim.api.nvim_buf_get_lines(graph_buf, 0, -1, false), "\n") or ""
check(graph_text:find("visits_mv_1 (datasource)", 1, true) ~= nil
  and graph_text:find("materialized by visits_1", 1, true) ~= nil,
  ":TinybirdGraph lists the resources and who materializes into them")

-- The deploy lens on the new target, then :TinybirdPlan.
vim.cmd.edit(new_target)
local lens_title
vim.wait(10000, function()
  local answers = vim.lsp.buf_request_sync(0, "textDocument/codeLens",
    { textDocument = vim.lsp.util.make_text_document_params() }, 2000) or {}
  for _, a in pairs(answers) do
    for _, l in ipairs(a.result or {}) do
      if l.command and l.command.command == "tinybird.showDeployPlan" then
        lens_title = l.command.title
      end
    end
  end
  return lens_title ~= nil
end, 100)
check(lens_title ~= nil and lens_title:find("deploys as: create", 1, true) == 1,
  "the new target's lens says how it deploys (" .. tostring(lens_title) .. ")")
vim.cmd("TinybirdPlan")
local plan_buf
vim.wait(5000, function()
  plan_buf = vim.fn.bufnr("tinybird://plan")
  return plan_buf > 0
end, 20)
local plan_text = plan_buf > 0 and table.concat(vim.api.nvim_buf_get_lines(plan_buf, 0, -1, false), "\n") or ""
check(plan_text:match("^Deploy plan against %x%x%x%x%x%x%x %(HEAD%)") ~= nil
  and plan_text:find("added datasource `visits_mv_1`", 1, true) ~= nil
  and plan_text:find("added pipe `visits_1`", 1, true) ~= nil,
  ":TinybirdPlan shows the plan against the committed example")

-- The tree-sitter parser and the queries from grammar/.
local lib, err = require("tinybird").build_parser()
check(lib ~= nil, "the tree-sitter parser builds from grammar/src" .. (err and (": " .. err) or ""))
if lib then
  vim.cmd.edit(dashboard)
  local ok = pcall(vim.treesitter.start, 0, "tinybird")
  check(ok, "vim.treesitter.start works on a Tinybird buffer")
  local parser = vim.treesitter.get_parser(0, "tinybird")
  local tree = parser:parse()[1]
  check(tree and not tree:root():has_error(), "the dashboard pipe parses without errors")
  local query = vim.treesitter.query.get("tinybird", "highlights")
  local captures = {}
  for id in query:iter_captures(tree:root(), 0) do
    captures[query.captures[id]] = true
  end
  check(captures.keyword and captures.label, "the highlights query captures keywords and node names")
  check(vim.treesitter.query.get("tinybird", "injections") ~= nil
    and vim.treesitter.query.get("tinybird", "folds") ~= nil, "the injections and folds queries load")
  os.remove(lib)
end

vim.fn.delete(project, "rf")
finish()
