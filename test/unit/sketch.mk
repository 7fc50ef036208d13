# DDSketch quantile sketch (src/core/ddsketch.c)
UNIT_TESTS += test_ddsketch
$(B)/test_ddsketch: test_ddsketch.c $(CORE)/ddsketch.c
