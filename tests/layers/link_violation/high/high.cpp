int high_value() { return 41; }
