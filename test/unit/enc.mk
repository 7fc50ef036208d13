# Encrypted file writers (issue 5): compound file layout, Agile encryption,
# XLSX layer and AES-256 zip.  Known answers come from an independent Python
# computation (see the comments in test_agile.c).
UNIT_TESTS += test_cfb test_agile test_xlsxout test_zipenc
ENC_CORE := $(CORE)/cserr.c $(CORE)/cfb.c
$(B)/test_cfb: test_cfb.c $(ENC_CORE) $(CORE)/cfb.h $(CORE)/cserr.h
$(B)/test_agile: test_agile.c $(ENC_CORE) $(CORE)/utf8.c $(CORE)/agile.c $(CORE)/agile.h $(CORE)/cfb.h
$(B)/test_xlsxout: test_xlsxout.c $(CORE)/cserr.c $(CORE)/utf8.c $(CORE)/xlsxout.c $(CORE)/xlsxout.h
$(B)/test_zipenc: test_zipenc.c $(CORE)/cserr.c $(CORE)/zipenc.c $(CORE)/zipenc.h
# The Summary sheet and its charts (issue 15).
UNIT_TESTS += test_xlsxsummary
$(B)/test_xlsxsummary: test_xlsxsummary.c $(CORE)/cserr.c $(CORE)/utf8.c $(CORE)/xlsxout.c $(CORE)/xlsxsummary.c $(CORE)/xlsxout.h $(CORE)/xlsxout_int.h $(CORE)/xlsxsummary.h
