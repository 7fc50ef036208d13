# Inbox counts grouping (src/core/inbox.c)
UNIT_TESTS += test_inbox
$(B)/test_inbox: test_inbox.c $(CORE)/inbox.c
