-- ARGV[3]: now, ARGV[4]: expected revision ('' for any), ARGV[5..12]: the row.
return replace(read_row(4), ARGV[3], ARGV[4])
