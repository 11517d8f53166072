"""Pages of cases (queue, board, case, settings), team inboxes and the public follow-up page."""
