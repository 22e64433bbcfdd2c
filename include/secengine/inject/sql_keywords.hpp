#pragma once
/// \file SQL keywords and functions of MySQL, PostgreSQL, MSSQL, Oracle, SQLite, DB2 and Firebird,
/// with the token type the SQL lexer gives each (read-only data, sorted for binary search).
///
/// Hand-curated from the vendors' reference manuals (MySQL 8 "Keywords and Reserved Words" and
/// "Functions and Operators", PostgreSQL "SQL Key Words", T-SQL "Reserved Keywords", Oracle
/// "PL/SQL Packages" for the dotted package functions sqlmap uses). Common English words that
/// are also SQL keywords (left, right, user, date, key, ...) are deliberately left out of the
/// keyword classes: as barewords they fold into one token, which keeps prose fingerprints few.
/// Token types (one character each, so a token sequence is a short string):
///   'E' statement (SELECT, DROP, ...)      'T' procedural / T-SQL (DECLARE, EXEC, WAITFOR)
///   'U' set operator (UNION, INTERSECT)    'B' clause (ORDER BY, GROUP BY, HAVING, LIMIT)
///   '&' logic (AND, OR, XOR, &&, ||)       'o' operator (=, <, LIKE, IS, IN, NOT, DIV, ...)
///   '1' literal value (number, NULL, TRUE) 'k' other keyword (FROM, WHERE, CASE, AS, ...)
///   'f' function (a name of the table with `fn` set, followed by '(')  'n' bareword
#include <cstddef>
#include <string_view>

namespace secengine::inject {

/// One keyword: its upper-case spelling, its token type, and whether it names a function when
/// a '(' follows.
struct sql_keyword {
    std::string_view word;
    char type;
    bool fn;
};

inline constexpr sql_keyword sql_keywords[] = {
    {"ABS", 'n', true}, {"ACOS", 'n', true}, {"ALL", 'k', false}, {"ALTER", 'E', false}, {"AND", '&', false},
    {"AS", 'k', false}, {"ASCII", 'n', true}, {"ASIN", 'n', true}, {"ATAN", 'n', true}, {"ATTACH", 'T', false},
    {"AVG", 'n', true}, {"BEGIN", 'k', false}, {"BENCHMARK", 'n', true}, {"BETWEEN", 'o', false}, {"BIN", 'n', true},
    {"BITAND", 'n', true}, {"BITCOUNT", 'n', true}, {"BITSTRING_TO_BINARY", 'n', true}, {"BIT_LENGTH", 'n', true},
    {"CALL", 'E', false}, {"CASE", 'k', false}, {"CAST", 'n', true}, {"CEIL", 'n', true}, {"CEILING", 'n', true},
    {"CHAR", 'n', true}, {"CHARACTER_LENGTH", 'n', true}, {"CHARINDEX", 'n', true}, {"CHAR_LENGTH", 'n', true},
    {"CHECKSUM", 'n', true}, {"CHR", 'n', true}, {"COALESCE", 'n', true}, {"COLLATE", 'o', false},
    {"COL_NAME", 'n', true}, {"CONCAT", 'n', true}, {"CONCAT_WS", 'n', true}, {"CONNECTION_ID", 'n', true},
    {"CONV", 'n', true}, {"CONVERT", 'n', true}, {"COS", 'n', true}, {"COUNT", 'n', true}, {"CRC32", 'n', true},
    {"CREATE", 'E', false}, {"CTXSYS.DRITHSX.SN", 'n', true}, {"CURDATE", 'n', true}, {"CURRENT_DATABASE", 'n', true},
    {"CURRENT_SCHEMA", 'n', true}, {"CURRENT_SETTING", 'n', true}, {"CURRENT_USER", 'k', true},
    {"CURTIME", 'n', true}, {"DATABASE", 'n', true}, {"DATALENGTH", 'n', true}, {"DATEADD", 'n', true},
    {"DATEDIFF", 'n', true}, {"DATE_FORMAT", 'n', true}, {"DAY", 'n', true}, {"DBCC", 'T', false},
    {"DBMS_JAVA.RUNJAVA", 'n', true}, {"DBMS_LOCK.SLEEP", 'n', true}, {"DBMS_PIPE.RECEIVE_MESSAGE", 'n', true},
    {"DBMS_UTILITY.SQLID_TO_SQLHASH", 'n', true}, {"DBMS_XMLGEN.GETXML", 'n', true}, {"DB_NAME", 'n', true},
    {"DECLARE", 'T', false}, {"DECODE", 'n', true}, {"DEGREES", 'n', true}, {"DELAY", 'T', false},
    {"DELETE", 'E', false}, {"DISTINCT", 'k', false}, {"DISTINCTROW", 'k', false}, {"DIV", 'o', false},
    {"DROP", 'E', false}, {"DUAL", 'k', false}, {"DUMPFILE", 'k', false}, {"ELSE", 'k', false}, {"ELT", 'n', true},
    {"ENCODE", 'n', true}, {"END", 'k', false}, {"ESCAPE", 'o', false}, {"EXCEPT", 'U', false}, {"EXEC", 'T', false},
    {"EXECUTE", 'T', false}, {"EXISTS", 'k', true}, {"EXP", 'n', true}, {"EXTRACT", 'n', true},
    {"EXTRACTVALUE", 'n', true}, {"FALSE", '1', false}, {"FIELD", 'n', true}, {"FIND_IN_SET", 'n', true},
    {"FLOOR", 'n', true}, {"FORMAT", 'n', true}, {"FOUND_ROWS", 'n', true}, {"FROM", 'k', false},
    {"FROM_BASE64", 'n', true}, {"GENERATE_SERIES", 'n', true}, {"GETDATE", 'n', true},
    {"GET_HOST_ADDRESS", 'n', true}, {"GET_LOCK", 'n', true}, {"GLOB", 'o', false}, {"GRANT", 'E', false},
    {"GREATEST", 'n', true}, {"GROUP", 'B', false}, {"GROUP_CONCAT", 'n', true}, {"GTID_SUBSET", 'n', true},
    {"HANDLER", 'E', false}, {"HASHBYTES", 'n', true}, {"HAVING", 'B', false}, {"HEX", 'n', true},
    {"HOST_NAME", 'n', true}, {"IF", 'k', true}, {"IFNULL", 'n', true}, {"IIF", 'n', true}, {"ILIKE", 'o', false},
    {"IN", 'o', false}, {"INET_ATON", 'n', true}, {"INFORMATION_SCHEMA", 'k', false}, {"INSERT", 'E', false},
    {"INSTR", 'n', true}, {"INTERSECT", 'U', false}, {"INTO", 'k', false}, {"IS", 'o', false}, {"ISNULL", 'n', true},
    {"JSON_ARRAYAGG", 'n', true}, {"JSON_EXTRACT", 'n', true}, {"JSON_KEYS", 'n', true},
    {"LAST_INSERT_ID", 'n', true}, {"LCASE", 'n', true}, {"LEAST", 'n', true}, {"LEFT", 'n', true},
    {"LEN", 'n', true}, {"LENGTH", 'n', true}, {"LIKE", 'o', true}, {"LIMIT", 'B', false}, {"LN", 'n', true},
    {"LOAD", 'E', false}, {"LOAD_FILE", 'n', true}, {"LOCATE", 'n', true}, {"LOG", 'n', true}, {"LOWER", 'n', true},
    {"LPAD", 'n', true}, {"LTRIM", 'n', true}, {"MAKE_SET", 'n', true}, {"MAX", 'n', true}, {"MD5", 'n', true},
    {"MERGE", 'E', false}, {"MID", 'n', true}, {"MIN", 'n', true}, {"MOD", 'o', false}, {"NAME_CONST", 'n', true},
    {"NCHAR", 'n', true}, {"NOT", 'o', false}, {"NULL", '1', false}, {"NULLIF", 'n', true}, {"NVL", 'n', true},
    {"NVL2", 'n', true}, {"OBJECT_ID", 'n', true}, {"OCT", 'n', true}, {"OFFSET", 'B', false},
    {"OPENQUERY", 'T', false}, {"OPENROWSET", 'T', false}, {"OR", '&', false}, {"ORD", 'n', true},
    {"ORDER", 'B', false}, {"ORDSYS.ORD_DICOM.GETMAPPINGXPATH", 'n', true}, {"OUTFILE", 'k', false},
    {"PG_READ_FILE", 'n', true}, {"PG_SLEEP", 'n', true}, {"PI", 'n', true}, {"POSITION", 'n', true},
    {"POW", 'n', true}, {"POWER", 'n', true}, {"PRAGMA", 'T', false}, {"PROCEDURE", 'B', false}, {"QUOTE", 'n', true},
    {"QUOTENAME", 'n', true}, {"RADIANS", 'n', true}, {"RAISE_ERROR", 'n', true}, {"RAND", 'n', true},
    {"RANDOM", 'n', true}, {"RANDOMBLOB", 'n', true}, {"REGEXP", 'o', false}, {"REGEXP_LIKE", 'n', true},
    {"REGEXP_SUBSTR", 'n', true}, {"REGEXP_SUBSTRING", 'n', true}, {"RENAME", 'E', false}, {"REPEAT", 'n', true},
    {"REPLACE", 'E', true}, {"REPLICATE", 'n', true}, {"REVERSE", 'n', true}, {"REVOKE", 'E', false},
    {"RIGHT", 'n', true}, {"RLIKE", 'o', false}, {"ROUND", 'n', true}, {"ROWNUM", 'k', false},
    {"ROW_COUNT", 'n', true}, {"RPAD", 'n', true}, {"RTRIM", 'n', true}, {"SCHEMA", 'n', true},
    {"SELECT", 'E', false}, {"SESSION_USER", 'k', false}, {"SET", 'k', false}, {"SHA", 'n', true},
    {"SHA1", 'n', true}, {"SHA2", 'n', true}, {"SHUTDOWN", 'T', false}, {"SIGN", 'n', true}, {"SIMILAR", 'o', false},
    {"SIN", 'n', true}, {"SLEEP", 'n', true}, {"SOUNDEX", 'n', true}, {"SOUNDS", 'o', false}, {"SPACE", 'n', true},
    {"SP_EXECUTESQL", 'T', false}, {"SP_OACREATE", 'T', false}, {"SQLITE_VERSION", 'n', true},
    {"SQL_CALC_FOUND_ROWS", 'k', false}, {"SQRT", 'n', true}, {"STR", 'n', true}, {"STRAIGHT_JOIN", 'k', false},
    {"STRCMP", 'n', true}, {"STRING_AGG", 'n', true}, {"STUFF", 'n', true}, {"SUBSTR", 'n', true},
    {"SUBSTRING", 'n', true}, {"SUBSTRING_INDEX", 'n', true}, {"SUM", 'n', true}, {"SUSER_NAME", 'n', true},
    {"SYS.DBMS_EXPORT_EXTENSION", 'n', true}, {"SYSDATE", 'n', true}, {"SYSTEM_USER", 'k', true},
    {"SYS_CONTEXT", 'n', true}, {"TAN", 'n', true}, {"THEN", 'k', false}, {"TOP", 'k', false},
    {"TO_BASE64", 'n', true}, {"TO_CHAR", 'n', true}, {"TO_DATE", 'n', true}, {"TO_NUMBER", 'n', true},
    {"TRIM", 'n', true}, {"TRUE", '1', false}, {"TRUNCATE", 'E', false}, {"TYPEOF", 'n', true}, {"UCASE", 'n', true},
    {"UNHEX", 'n', true}, {"UNICODE", 'n', true}, {"UNION", 'U', false}, {"UNISTR", 'n', true},
    {"UPDATE", 'E', false}, {"UPDATEXML", 'n', true}, {"UPPER", 'n', true}, {"USER", 'n', true},
    {"USER_NAME", 'n', true}, {"UTL_HTTP.REQUEST", 'n', true}, {"UTL_INADDR.GET_HOST_ADDRESS", 'n', true},
    {"UTL_INADDR.GET_HOST_NAME", 'n', true}, {"UUID", 'n', true}, {"VALUES", 'k', false}, {"VERSION", 'n', true},
    {"WAIT", 'n', true}, {"WAITFOR", 'T', false}, {"WHEN", 'k', false}, {"WHERE", 'k', false}, {"WHILE", 'k', false},
    {"XMLAGG", 'n', true}, {"XMLTYPE", 'n', true}, {"XOR", '&', false}, {"XP_CMDSHELL", 'T', false},
    {"ZEROBLOB", 'n', true},
};

[[nodiscard]] constexpr bool sql_keywords_sorted() noexcept {
    for (std::size_t i = 1; i < std::size(sql_keywords); ++i)
        if (!(sql_keywords[i - 1].word < sql_keywords[i].word)) return false;
    return true;
}
static_assert(sql_keywords_sorted(), "sql_keywords must stay sorted and unique: lookup is a binary search");

namespace detail {
/// Character class for the keyword prefilter: letters 0-25 (any case), '_' 26, digits 27,
/// '.' 28, '$' 29, anything else 30.
[[nodiscard]] constexpr unsigned kw_class(char c) noexcept {
    if (c >= 'a' && c <= 'z') return static_cast<unsigned>(c - 'a');
    if (c >= 'A' && c <= 'Z') return static_cast<unsigned>(c - 'A');
    if (c == '_') return 26;
    if (c >= '0' && c <= '9') return 27;
    if (c == '.') return 28;
    if (c == '$') return 29;
    return 30;
}
/// Per first character: a bit per word length (31 = 31 or more), per second character class
/// and per last character class that some keyword has. Most prose words fail one of the two tests and skip
/// the upper-casing and the binary search (the lexer's dominant cost on text).
struct keyword_prefilter {
    unsigned lengths[31] = {};
    unsigned seconds[31] = {};
    unsigned lasts[31] = {};
};
[[nodiscard]] constexpr keyword_prefilter make_keyword_prefilter() noexcept {
    keyword_prefilter f;
    for (const auto& k : sql_keywords) {
        const unsigned a = kw_class(k.word[0]);
        f.lengths[a] |= 1u << (k.word.size() < 31 ? k.word.size() : 31);
        f.seconds[a] |= 1u << (k.word.size() > 1 ? kw_class(k.word[1]) : 30);
        f.lasts[a] |= 1u << kw_class(k.word.back());
    }
    return f;
}
inline constexpr keyword_prefilter sql_keyword_prefilter = make_keyword_prefilter();
}  // namespace detail

/// False when no keyword can have this spelling (any case); true means "look it up".
[[nodiscard]] constexpr bool may_be_sql_keyword(std::string_view word) noexcept {
    if (word.empty()) return false;
    const unsigned a = detail::kw_class(word[0]);
    const auto& f = detail::sql_keyword_prefilter;
    return ((f.lengths[a] >> (word.size() < 31 ? word.size() : 31)) & 1u) != 0 &&
           ((f.seconds[a] >> (word.size() > 1 ? detail::kw_class(word[1]) : 30)) & 1u) != 0 &&
           ((f.lasts[a] >> detail::kw_class(word.back())) & 1u) != 0;
}
static_assert(may_be_sql_keyword("union") && may_be_sql_keyword("SeLeCt") && !may_be_sql_keyword("boots"));

inline constexpr std::size_t no_sql_keyword = ~std::size_t{0};

/// The index in sql_keywords of an upper-case word, or no_sql_keyword. An index, not a pointer:
/// GCC 12 under -fsanitize=undefined refuses to compare a pointer into a constexpr array with
/// null in a constant expression, and the lexer runs at compile time (tests static_assert it).
[[nodiscard]] constexpr std::size_t find_sql_keyword(std::string_view upper) noexcept {
    std::size_t lo = 0, hi = std::size(sql_keywords);
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (sql_keywords[mid].word == upper) return mid;
        if (sql_keywords[mid].word < upper) lo = mid + 1; else hi = mid;
    }
    return no_sql_keyword;
}

}  // namespace secengine::inject
