"""Stage 5: files for people. ``write.write_outputs`` writes everything a run makes; the other
modules each write one kind of output (workbooks, the circular, blank templates)."""
