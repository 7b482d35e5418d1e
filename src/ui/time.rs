//! Times as the header and the Diagnostics view print them.

/// `14:03:07` in the local time zone (the zone the user reads clocks in).
pub fn local_hms(t: jiff::Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::system())
        .strftime("%H:%M:%S")
        .to_string()
}
