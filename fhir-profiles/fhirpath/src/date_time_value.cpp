#include "notebridge/fhirpath/date_time_value.h"

#include <cstdio>

namespace notebridge::fhirpath {

namespace {

using Precision = DateTimeValue::Precision;
using Kind = DateTimeValue::Kind;

bool isLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil algorithm).
std::int64_t daysFromCivil(std::int64_t y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civilFromDays(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

bool readDigits(std::string_view text, std::size_t& pos, int count, int& out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (int i = 0; i < count; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += count;
  out = value;
  return true;
}

// Effective precision for ordering: seconds and milliseconds are one precision
// (https://hl7.org/fhirpath/N1/#datetime-equality).
int orderPrecision(Precision p) {
  return p == Precision::kMillisecond ? static_cast<int>(Precision::kSecond) : static_cast<int>(p);
}

}  // namespace

DateTimeValue DateTimeValue::fromFields(Kind kind, Precision precision, int year, int month,
                                        int day, int hour, int minute, int second,
                                        int millisecond, std::optional<int> timezoneMinutes) {
  DateTimeValue v;
  v.kind_ = kind;
  v.precision_ = precision;
  v.year_ = year;
  v.month_ = month;
  v.day_ = day;
  v.hour_ = hour;
  v.minute_ = minute;
  v.second_ = second;
  v.millisecond_ = millisecond;
  v.hasTimezone_ = timezoneMinutes.has_value();
  v.timezoneMinutes_ = timezoneMinutes.value_or(0);
  return v;
}

std::optional<DateTimeValue> DateTimeValue::parse(std::string_view text, Kind kind) {
  DateTimeValue v;
  v.kind_ = kind;
  std::size_t pos = 0;
  auto parseTime = [&](bool allowTimezone) -> bool {
    if (!readDigits(text, pos, 2, v.hour_) || v.hour_ > 23) return false;
    v.precision_ = Precision::kHour;
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!readDigits(text, pos, 2, v.minute_) || v.minute_ > 59) return false;
      v.precision_ = Precision::kMinute;
      if (pos < text.size() && text[pos] == ':') {
        ++pos;
        if (!readDigits(text, pos, 2, v.second_) || v.second_ > 59) return false;
        v.precision_ = Precision::kSecond;
        if (pos < text.size() && text[pos] == '.') {
          ++pos;
          std::size_t start = pos;
          int ms = 0;
          int digits = 0;
          while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            if (digits < 3) ms = ms * 10 + (text[pos] - '0');
            ++digits;
            ++pos;
          }
          if (pos == start) return false;
          for (int i = digits; i < 3; ++i) ms *= 10;
          v.millisecond_ = ms;
          v.precision_ = Precision::kMillisecond;
        }
      }
    }
    if (!allowTimezone || pos >= text.size()) return true;
    if (text[pos] == 'Z') {
      ++pos;
      v.hasTimezone_ = true;
      return true;
    }
    if (text[pos] == '+' || text[pos] == '-') {
      int sign = text[pos] == '-' ? -1 : 1;
      ++pos;
      int th = 0, tm = 0;
      if (!readDigits(text, pos, 2, th) || pos >= text.size() || text[pos] != ':') return false;
      ++pos;
      if (!readDigits(text, pos, 2, tm) || th > 14 || tm > 59) return false;
      v.hasTimezone_ = true;
      v.timezoneMinutes_ = sign * (th * 60 + tm);
    }
    return true;
  };

  if (kind == Kind::kTime) {
    if (!parseTime(false) || pos != text.size()) return std::nullopt;
    return v;
  }
  if (!readDigits(text, pos, 4, v.year_)) return std::nullopt;
  v.precision_ = Precision::kYear;
  if (pos < text.size() && text[pos] == '-') {
    ++pos;
    if (!readDigits(text, pos, 2, v.month_) || v.month_ < 1 || v.month_ > 12) return std::nullopt;
    v.precision_ = Precision::kMonth;
    if (pos < text.size() && text[pos] == '-') {
      ++pos;
      if (!readDigits(text, pos, 2, v.day_) || v.day_ < 1 || v.day_ > daysInMonth(v.year_, v.month_))
        return std::nullopt;
      v.precision_ = Precision::kDay;
    }
  }
  if (kind == Kind::kDate) {
    if (pos != text.size()) return std::nullopt;
    return v;
  }
  if (pos < text.size() && text[pos] == 'T') {
    ++pos;
    if (pos == text.size()) return v;  // "@2015T": a DateTime of year precision
    if (v.precision_ != Precision::kDay) return std::nullopt;
    if (!parseTime(true)) return std::nullopt;
  } else if (pos < text.size() && v.precision_ == Precision::kDay) {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  return v;
}

std::string DateTimeValue::toString() const {
  char buffer[64];
  std::string out;
  if (kind_ != Kind::kTime) {
    std::snprintf(buffer, sizeof buffer, "%04d", year_);
    out += buffer;
    if (precision_ >= Precision::kMonth) {
      std::snprintf(buffer, sizeof buffer, "-%02d", month_);
      out += buffer;
    }
    if (precision_ >= Precision::kDay) {
      std::snprintf(buffer, sizeof buffer, "-%02d", day_);
      out += buffer;
    }
    if (kind_ == Kind::kDate || precision_ < Precision::kHour) return out;
    out += 'T';
  }
  std::snprintf(buffer, sizeof buffer, "%02d", hour_);
  out += buffer;
  if (precision_ >= Precision::kMinute) {
    std::snprintf(buffer, sizeof buffer, ":%02d", minute_);
    out += buffer;
  }
  if (precision_ >= Precision::kSecond) {
    std::snprintf(buffer, sizeof buffer, ":%02d", second_);
    out += buffer;
  }
  if (precision_ >= Precision::kMillisecond) {
    std::snprintf(buffer, sizeof buffer, ".%03d", millisecond_);
    out += buffer;
  }
  if (kind_ == Kind::kDateTime && hasTimezone_) {
    if (timezoneMinutes_ == 0) {
      out += 'Z';
    } else {
      int m = timezoneMinutes_ < 0 ? -timezoneMinutes_ : timezoneMinutes_;
      std::snprintf(buffer, sizeof buffer, "%c%02d:%02d", timezoneMinutes_ < 0 ? '-' : '+', m / 60,
                    m % 60);
      out += buffer;
    }
  }
  return out;
}

std::optional<int> DateTimeValue::compare(const DateTimeValue& other) const {
  if ((kind_ == Kind::kTime) != (other.kind_ == Kind::kTime)) return std::nullopt;
  DateTimeValue a = *this;
  DateTimeValue b = other;
  // With one timezone unknown the instant is unknown (https://hl7.org/fhirpath/N1/#comparison).
  if (a.hasTimezone_ != b.hasTimezone_ && a.kind_ == Kind::kDateTime &&
      b.kind_ == Kind::kDateTime && a.precision_ >= Precision::kHour &&
      b.precision_ >= Precision::kHour)
    return std::nullopt;
  // Bring both to UTC when both carry a timezone and reach the hour.
  if (a.hasTimezone_ && b.hasTimezone_ && a.timezoneMinutes_ != b.timezoneMinutes_ &&
      a.precision_ >= Precision::kHour && b.precision_ >= Precision::kHour) {
    a = *a.add(-a.timezoneMinutes_, "minute");
    b = *b.add(-b.timezoneMinutes_, "minute");
  }
  const int fieldsA[] = {a.year_, a.month_, a.day_, a.hour_, a.minute_,
                         a.second_ * 1000 + a.millisecond_};
  const int fieldsB[] = {b.year_, b.month_, b.day_, b.hour_, b.minute_,
                         b.second_ * 1000 + b.millisecond_};
  int first = kind_ == Kind::kTime ? static_cast<int>(Precision::kHour) : 0;
  int pa = orderPrecision(a.precision_);
  int pb = orderPrecision(b.precision_);
  int common = std::min(pa, pb);
  for (int i = first; i <= common; ++i) {
    if (fieldsA[i] != fieldsB[i]) return fieldsA[i] < fieldsB[i] ? -1 : 1;
  }
  if (pa != pb) return std::nullopt;
  return 0;
}

bool DateTimeValue::equivalent(const DateTimeValue& other) const {
  auto c = compare(other);
  return c && *c == 0;
}

std::optional<DateTimeValue> DateTimeValue::add(std::int64_t amount, std::string_view unit) const {
  DateTimeValue v = *this;
  if (unit == "year" || unit == "month") {
    if (kind_ == Kind::kTime) return std::nullopt;
    std::int64_t months = unit == "year" ? amount * 12 : amount;
    if (unit == "month" && precision_ < Precision::kMonth) months = (amount / 12) * 12;
    std::int64_t total = static_cast<std::int64_t>(year_) * 12 + (month_ - 1) + months;
    if (total < 0 || total >= 10000 * 12) return std::nullopt;
    v.year_ = static_cast<int>(total / 12);
    v.month_ = static_cast<int>(total % 12) + 1;
    v.day_ = std::min(v.day_, daysInMonth(v.year_, v.month_));
    return v;
  }
  std::int64_t ms;
  if (unit == "week") {
    ms = amount * 7 * 86400000LL;
  } else if (unit == "day") {
    ms = amount * 86400000LL;
  } else if (unit == "hour") {
    ms = amount * 3600000LL;
  } else if (unit == "minute") {
    ms = amount * 60000LL;
  } else if (unit == "second") {
    ms = amount * 1000LL;
  } else if (unit == "millisecond") {
    ms = amount;
  } else {
    return std::nullopt;
  }
  if (kind_ == Kind::kTime) {
    std::int64_t dayMs = 86400000LL;
    std::int64_t t = ((hour_ * 60LL + minute_) * 60 + second_) * 1000 + millisecond_;
    t = ((t + ms) % dayMs + dayMs) % dayMs;
    v.millisecond_ = static_cast<int>(t % 1000);
    v.second_ = static_cast<int>(t / 1000 % 60);
    v.minute_ = static_cast<int>(t / 60000 % 60);
    v.hour_ = static_cast<int>(t / 3600000);
    return v;
  }
  // A value coarser than the unit moves by whole units of its own precision.
  if (precision_ < Precision::kDay) {
    std::int64_t days = ms / 86400000LL;
    if (precision_ == Precision::kMonth) return add(days / 30, "month");
    return add(days / 365, "year");
  }
  std::int64_t days = daysFromCivil(year_, month_, day_);
  std::int64_t t = ((hour_ * 60LL + minute_) * 60 + second_) * 1000 + millisecond_;
  if (precision_ == Precision::kDay) ms = (ms / 86400000LL) * 86400000LL;
  t += ms;
  std::int64_t dayMs = 86400000LL;
  std::int64_t dayShift = t >= 0 ? t / dayMs : -((-t + dayMs - 1) / dayMs);
  t -= dayShift * dayMs;
  days += dayShift;
  civilFromDays(days, v.year_, v.month_, v.day_);
  if (v.year_ < 1 || v.year_ > 9999) return std::nullopt;
  v.millisecond_ = static_cast<int>(t % 1000);
  v.second_ = static_cast<int>(t / 1000 % 60);
  v.minute_ = static_cast<int>(t / 60000 % 60);
  v.hour_ = static_cast<int>(t / 3600000);
  return v;
}

DateTimeValue DateTimeValue::truncated(Precision precision) const {
  DateTimeValue v = *this;
  if (precision < v.precision_) v.precision_ = precision;
  if (v.precision_ < Precision::kMillisecond) v.millisecond_ = 0;
  if (v.precision_ < Precision::kSecond) v.second_ = 0;
  if (v.precision_ < Precision::kMinute) v.minute_ = 0;
  if (v.precision_ < Precision::kHour) v.hour_ = 0;
  if (v.precision_ < Precision::kDay && kind_ != Kind::kTime) v.day_ = 1;
  if (v.precision_ < Precision::kMonth && kind_ != Kind::kTime) v.month_ = 1;
  return v;
}

DateTimeValue DateTimeValue::asKind(Kind kind) const {
  DateTimeValue v = *this;
  v.kind_ = kind;
  if (kind == Kind::kDate) {
    v = v.truncated(std::min(precision_, Precision::kDay));
    v.hasTimezone_ = false;
    v.timezoneMinutes_ = 0;
  }
  return v;
}

}  // namespace notebridge::fhirpath
