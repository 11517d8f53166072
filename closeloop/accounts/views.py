# placeholder: replaced by the accounts UI work
