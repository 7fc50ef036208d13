# Operating-hours calendar core (src/core/schedule.c)
UNIT_TESTS += test_schedule
$(B)/test_schedule: test_schedule.c xorshift.h $(CORE)/schedule.c $(CORE)/schedule.h
