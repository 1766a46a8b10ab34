-- Tinybird datafiles: one file type for every kind (the server and the tree-sitter grammar
-- tell them apart by extension).
vim.filetype.add({
  extension = {
    datasource = "tinybird",
    pipe = "tinybird",
    incl = "tinybird",
    connection = "tinybird",
  },
})
