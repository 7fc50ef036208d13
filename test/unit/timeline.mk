# Chat timeline state machine (src/core/timeline.c)
UNIT_TESTS += test_timeline
$(B)/test_timeline: test_timeline.c $(CORE)/timeline.c

# Packed timeline items of the aggregates' states (src/core/tlpack.c)
UNIT_TESTS += test_tlpack
$(B)/test_tlpack: test_tlpack.c xorshift.h $(CORE)/tlpack.c $(CORE)/tlpack.h $(CORE)/timeline.h
