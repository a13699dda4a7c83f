int high_value();
int low_value() { return high_value() + 1; }  // a lower layer calling a higher one
