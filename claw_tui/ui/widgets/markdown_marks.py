"""The marks an answer's drawn rows carry for selection and copying, shared by the widget that
copies (markdown_view) and the renderer that draws (markdown_blocks), which the widget loads late."""

# Segment meta: cells a copy leaves out (code padding, the fold glyph), the mark of a folded line,
# and of a row a copy leaves out (a code block's top and bottom padding).
NO_COPY = "claw.no_copy"
FOLDED = "claw.folded"
PADDING_ROW = "claw.padding_row"
WRAPPED = "claw.wrapped"  # a paragraph's row that continues the row above: a copy joins them with a space
FOLD_GLYPH = "↪"
