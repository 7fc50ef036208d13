# Chat timeline state machine (src/core/timeline.c)
UNIT_TESTS += test_timeline
$(B)/test_timeline: test_timeline.c $(CORE)/timeline.c
