-- ARGV[3]: now (RFC 3339), ARGV[4..11]: the row. Registers one student.
return create(read_row(3), ARGV[3])
