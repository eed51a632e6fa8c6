#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace notebridge::fhirpath {

// A FHIRPath Date, DateTime or Time with partial precision (@2014, @2014-01-05T10:30,
// @T14:30:14.559). Fields below the precision are zero/one and ignored. Comparison follows
// https://hl7.org/fhirpath/N1/#datetime-equality: values of different precision that agree on
// every common field are incomparable (empty). A value type, safe to share between threads.
class DateTimeValue {
 public:
  enum class Kind : std::uint8_t { kDate, kDateTime, kTime };
  enum class Precision : std::uint8_t { kYear, kMonth, kDay, kHour, kMinute, kSecond, kMillisecond };

  // Parses the FHIR/FHIRPath text without '@' (a Time without 'T'); nullopt when malformed or
  // out of range. A kDateTime parse also accepts a date alone ("2014-01").
  static std::optional<DateTimeValue> parse(std::string_view text, Kind kind);

  Kind kind() const { return kind_; }
  Precision precision() const { return precision_; }
  bool hasTimezone() const { return hasTimezone_; }
  int timezoneMinutes() const { return timezoneMinutes_; }
  int year() const { return year_; }
  int month() const { return month_; }
  int day() const { return day_; }
  int hour() const { return hour_; }
  int minute() const { return minute_; }
  int second() const { return second_; }
  int millisecond() const { return millisecond_; }

  // FHIR text without '@' ("2014-01-05T10:30:00.000+10:00", "10:30").
  std::string toString() const;

  // -1, 0, 1, or nullopt when precision makes the order unknown. Both must be of a kind that
  // compares (Date with DateTime is allowed; Time only with Time).
  std::optional<int> compare(const DateTimeValue& other) const;
  // Equivalence: different precision is simply "not equivalent".
  bool equivalent(const DateTimeValue& other) const;

  // Adds `amount` of a calendar unit ("year", "month", "week", "day", "hour", "minute",
  // "second", "millisecond"); nullopt when the unit does not apply or the result is out of range.
  std::optional<DateTimeValue> add(std::int64_t amount, std::string_view unit) const;

  // The same value at a lower (or equal) precision; a DateTime as a Date, and so on.
  DateTimeValue truncated(Precision precision) const;
  DateTimeValue asKind(Kind kind) const;

  // Builds a value from fields; used by now()/today()/timeOfDay().
  static DateTimeValue fromFields(Kind kind, Precision precision, int year, int month, int day,
                                  int hour, int minute, int second, int millisecond,
                                  std::optional<int> timezoneMinutes);

 private:
  Kind kind_ = Kind::kDate;
  Precision precision_ = Precision::kYear;
  bool hasTimezone_ = false;
  int timezoneMinutes_ = 0;
  int year_ = 0, month_ = 1, day_ = 1, hour_ = 0, minute_ = 0, second_ = 0, millisecond_ = 0;
};

}  // namespace notebridge::fhirpath
