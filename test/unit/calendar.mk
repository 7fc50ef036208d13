# Operating-hours calendar core (src/core/calendar.c)
UNIT_TESTS += test_calendar
$(B)/test_calendar: test_calendar.c xorshift.h $(CORE)/calendar.c $(CORE)/calendar.h
