-- ARGV[3]: student id, ARGV[4]: expected revision ('' for any).
return delete(ARGV[3], ARGV[4])
