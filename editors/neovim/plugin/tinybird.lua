if vim.g.loaded_tinybird then
  return
end
vim.g.loaded_tinybird = true

vim.api.nvim_create_user_command("TinybirdAddColumn", function(opts)
  require("tinybird").add_column(opts.args ~= "" and opts.args or nil)
end, {
  nargs = "?",
  desc = "Add a column to a materialized view (safe migration through tinybird-lsp)",
})
vim.api.nvim_create_user_command("TinybirdGraph", function()
  require("tinybird").graph()
end, { desc = "Show the Tinybird project's dependency graph" })
vim.api.nvim_create_user_command("TinybirdPlan", function()
  require("tinybird").plan()
end, { desc = "Show what deploying the files does to the deployed version (git)" })
