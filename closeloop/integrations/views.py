# placeholder: replaced by the mailbox UI work
