using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AbandonedCart.Api.Events;

/// <summary>
/// Strict readers over one JSON object; every problem is recorded under the field's full path (<c>[3].items[0].price</c>)
/// so a storefront learns everything that is wrong in one answer.
/// </summary>
public sealed partial class JsonFields(JsonElement obj, string prefix, Dictionary<string, List<string>> errors)
{
    /// <summary>The largest amount a <c>numeric(12, 2)</c> column (cart value, revenue) holds.</summary>
    public const decimal MaxAmount = 9_999_999_999.99m;

    public JsonFields Nested(JsonElement element, string path) => new(element, Key(path), errors);

    public string Key(string name) =>
        prefix.Length == 0 ? name : name.Length == 0 ? prefix : name.StartsWith('[') ? $"{prefix}{name}" : $"{prefix}.{name}";

    public bool Has(string name) => obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>True when the property is there at all, even as <c>null</c> (which clears a profile property).</summary>
    public bool Mentions(string name) => obj.TryGetProperty(name, out _);

    public JsonElement Get(string name) => obj.GetProperty(name);

    public T? Fail<T>(string name, string message)
    {
        var key = Key(name);
        if (!errors.TryGetValue(key, out var list))
        {
            errors[key] = list = [];
        }

        list.Add(message);
        return default;
    }

    public string? RequiredString(string name, int maxLength) =>
        Present(name, out var value) ? Text(name, value, maxLength) : null;

    public string? OptionalString(string name, int maxLength) => Has(name) ? Text(name, Get(name), maxLength) : null;

    public string? RequiredOneOf(string name, IReadOnlyList<string> allowed)
    {
        var text = RequiredString(name, 50);
        return text is null || allowed.Contains(text, StringComparer.Ordinal)
            ? text
            : Fail<string>(name, $"Must be one of: {string.Join(", ", allowed)}.");
    }

    public string? RequiredCurrency(string name)
    {
        var text = RequiredString(name, 3);
        return text is null || CurrencyCode().IsMatch(text) ? text : Fail<string>(name, "Must be an ISO 4217 code such as EUR.");
    }

    public DateTimeOffset? RequiredTime(string name)
    {
        if (!Present(name, out var value))
        {
            return null;
        }

        // An explicit offset is required: a time without one would be read in the server's zone.
        var text = value.ValueKind == JsonValueKind.String ? Text(name, value, 64) : null;
        if (text is null || !ExplicitOffset().IsMatch(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return Fail<DateTimeOffset?>(name, "Must be an ISO 8601 date-time with an offset, e.g. 2026-03-02T10:00:00Z.");
        }

        return time;
    }

    public bool? RequiredBool(string name)
    {
        if (!Present(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => Fail<bool?>(name, "Must be true or false."),
        };
    }

    public decimal? RequiredNumber(string name) => Present(name, out var value) ? Amount(name, value) : null;

    public decimal? OptionalNumber(string name) => Has(name) ? Amount(name, Get(name)) : null;

    public int? OptionalPositiveInt(string name)
    {
        if (!Has(name))
        {
            return null;
        }

        var value = Get(name);
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= 1
            ? number
            : Fail<int?>(name, "Must be a whole number of at least 1.");
    }

    public string? OptionalUrl(string name) => Has(name) ? Url(name, Get(name), httpsOnly: false) : null;

    public string? Url(string name, JsonElement value, bool httpsOnly)
    {
        var text = value.ValueKind == JsonValueKind.String ? Text(name, value, 2048) : null;
        return text is not null && Uri.TryCreate(text, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttps || (!httpsOnly && uri.Scheme == Uri.UriSchemeHttp))
            ? text
            : Fail<string>(name, httpsOnly ? "Must be an absolute https URL." : "Must be an absolute http(s) URL.");
    }

    public JsonElement? RequiredArray(string name)
    {
        if (!Present(name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Array ? value : Fail<JsonElement?>(name, "Must be an array.");
    }

    /// <summary>The string value, refusing text PostgreSQL cannot store (NUL) and escapes that are not valid UTF-16.</summary>
    public string? Text(string name, JsonElement value, int maxLength)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return Fail<string>(name, "Must be a string.");
        }

        string text;
        try
        {
            text = value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return Fail<string>(name, "Must be valid Unicode text.");
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return Fail<string>(name, "Must not be empty.");
        }

        if (text.Contains('\0', StringComparison.Ordinal))
        {
            return Fail<string>(name, "Must not contain NUL characters.");
        }

        return text.Length > maxLength ? Fail<string>(name, $"At most {maxLength} characters.") : text;
    }

    private decimal? Amount(string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var number))
        {
            return Fail<decimal?>(name, "Must be a number.");
        }

        return number switch
        {
            < 0 => Fail<decimal?>(name, "Must not be negative."),
            > MaxAmount => Fail<decimal?>(name, $"Must be at most {MaxAmount.ToString(CultureInfo.InvariantCulture)}."),
            _ => number,
        };
    }

    private bool Present(string name, out JsonElement value)
    {
        if (obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        Fail<object>(name, "Is required.");
        return false;
    }

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex CurrencyCode();

    [GeneratedRegex(@"(Z|[+-][0-9]{2}:?[0-9]{2})$", RegexOptions.IgnoreCase)]
    private static partial Regex ExplicitOffset();
}
