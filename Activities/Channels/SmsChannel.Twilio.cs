using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Activities.Channels;

/// <summary><c>Providers:Twilio</c>.</summary>
public sealed class TwilioOptions : IProviderOptions
{
    public const string Section = "Providers:Twilio";

    // Calling codes of the countries an operator may list as MMS-capable. +1 is the whole North American
    // Numbering Plan: listing US or CA sends MMS to every +1 number.
    private static readonly Dictionary<string, string> CallingCodes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["US"] = "1", ["CA"] = "1", ["PR"] = "1", ["MX"] = "52", ["BR"] = "55", ["GB"] = "44", ["IE"] = "353", ["FR"] = "33",
        ["DE"] = "49", ["ES"] = "34", ["IT"] = "39", ["AU"] = "61", ["NZ"] = "64", ["JP"] = "81", ["KR"] = "82", ["TW"] = "886",
        ["TH"] = "66", ["IN"] = "91",
    };

    public string AccountSid { get; set; } = string.Empty;

    /// <summary>A secret: configuration or environment only. Also the key of the <c>X-Twilio-Signature</c> HMAC.</summary>
    public string AuthToken { get; set; } = string.Empty;

    /// <summary>The sending number (E.164); or leave empty and set <see cref="MessagingServiceSid"/>.</summary>
    public string? From { get; set; }

    public string? MessagingServiceSid { get; set; }

    /// <summary>Our status callback URL (delivered/undelivered), signed by Twilio with <c>X-Twilio-Signature</c>.</summary>
    public string? StatusCallbackUrl { get; set; }

    /// <summary>ISO 3166 codes of countries where the product image goes as MMS; elsewhere SMS with the link.</summary>
    public string[] MmsCountries { get; set; } = ["US", "CA"];

    public string BaseUrl { get; set; } = "https://api.twilio.com";

    public IEnumerable<string> Problems()
    {
        if (!AccountSid.StartsWith("AC", StringComparison.Ordinal))
        {
            yield return "AccountSid must start with AC";
        }

        if (string.IsNullOrWhiteSpace(AuthToken))
        {
            yield return "AuthToken is required";
        }

        if (!SmsChannel.IsE164(From) && string.IsNullOrWhiteSpace(MessagingServiceSid))
        {
            yield return "From (E.164) or MessagingServiceSid is required";
        }

        if (StatusCallbackUrl is not null && !Uri.TryCreate(StatusCallbackUrl, UriKind.Absolute, out _))
        {
            yield return "StatusCallbackUrl must be an absolute URL";
        }

        foreach (var country in MmsCountries.Where(c => !CallingCodes.ContainsKey(c)))
        {
            yield return $"MmsCountries: unknown country {country} (known: {string.Join(", ", CallingCodes.Keys)})";
        }
    }

    /// <summary>True when the E.164 number belongs to a country listed in <see cref="MmsCountries"/>.</summary>
    public bool IsMmsCapable(string phone) =>
        MmsCountries.Any(c => CallingCodes.TryGetValue(c, out var code) && phone.StartsWith("+" + code, StringComparison.Ordinal));
}

/// <summary>SMS/MMS through the Twilio Messages API (form-encoded POST with Basic auth).</summary>
public sealed class TwilioSmsSender(HttpClient http, IOptions<TwilioOptions> options) : IChannelSender
{
    public const string Name = "twilio";

    // Twilio error codes that mean the customer's number itself cannot take messages.
    private static readonly HashSet<int> BadNumberCodes = [21211, 21612, 21614];

    // Our side: 20003 authentication failed, 21212 invalid From number, 21606 From is not a message-capable Twilio number.
    private static readonly HashSet<int> MisconfiguredCodes = [20003, 21212, 21606];

    // 21610: the recipient replied STOP to our sender; Twilio refuses every message to them until they opt in again.
    private const int Unsubscribed = 21610;

    public string Channel => Workflows.Channels.Sms;

    public string Provider => Name;

    public async Task<ProviderReceipt> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var phone = message.Customer.Phone;
        if (!SmsChannel.IsE164(phone))
        {
            throw ProviderErrors.Rejected(Name, "no E.164 phone number", ProviderErrors.InvalidAddress, "phone");
        }

        var o = options.Value;
        var link = MessageText.Link(message);
        var form = new List<KeyValuePair<string, string>>
        {
            new("To", phone!),
            string.IsNullOrWhiteSpace(o.MessagingServiceSid) ? new("From", o.From!) : new("MessagingServiceSid", o.MessagingServiceSid),
            new("Body", link is null ? MessageText.Body(message) : $"{MessageText.Body(message)} {link}"),
        };
        if (o.StatusCallbackUrl is not null)
        {
            form.Add(new("StatusCallback", o.StatusCallbackUrl));
        }

        if (MessageText.Image(message) is { } image && o.IsMmsCapable(phone!))
        {
            form.Add(new("MediaUrl", image));
        }

        var url = new Uri($"{o.BaseUrl.TrimEnd('/')}/2010-04-01/Accounts/{Uri.EscapeDataString(o.AccountSid)}/Messages.json");
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{o.AccountSid}:{o.AuthToken}")));
        using var response = await ProviderErrors.SendAsync(http, request, Name, cancellationToken, Classify, "phone");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return new ProviderReceipt(Name, json.RootElement.TryGetProperty("sid", out var sid) ? sid.GetString() : null);
    }

    // Twilio answers 400 with {"code":21211,"message":"The 'To' number … is not a valid phone number.","status":400}.
    private static string? Classify(int status, string body) => ProviderErrors.ReadJson(body, root =>
        !root.TryGetProperty("code", out var code) || !code.TryGetInt32(out var value) ? null
        : BadNumberCodes.Contains(value) ? ProviderErrors.InvalidAddress
        : MisconfiguredCodes.Contains(value) ? ProviderErrors.ProviderMisconfigured
        : value == Unsubscribed ? ProviderErrors.RecipientOptedOut
        : null);
}

/// <summary>Verifies <c>X-Twilio-Signature</c>: base64 HMAC-SHA1, keyed by the auth token, over the full URL followed by
/// every POST parameter name and value, sorted by name. For a request with a JSON body, Twilio signs the URL alone and
/// puts the body's SHA-256 (hex) in its <c>bodySHA256</c> query parameter (<see cref="VerifyBody"/>).</summary>
public sealed class TwilioSignatureVerifier(string authToken)
{
    public const string Header = "X-Twilio-Signature";

    /// <summary>What a malformed auth token is told apart by (never the token itself).</summary>
    public const string AuthTokenFormat = "the account's 32-character hexadecimal Auth Token from the Twilio Console";

    /// <summary>The query parameter that carries the SHA-256 (hex) of a JSON body Twilio signed.</summary>
    public const string BodyHashParameter = "bodySHA256";

    private readonly byte[] key = Encoding.UTF8.GetBytes(authToken);

    /// <summary>True when <paramref name="authToken"/> has the form of a Twilio auth token: 32 hexadecimal characters.</summary>
    public static bool IsValidAuthToken(string? authToken) =>
        authToken is { Length: 32 } && authToken.All(char.IsAsciiHexDigit);

    public bool Verify(string url, IEnumerable<KeyValuePair<string, string>> form, string? signature)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(form);
        if (string.IsNullOrEmpty(signature))
        {
            return false;
        }

        var parameters = form.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal).ToList();

        // Twilio may sign the URL with or without the default port, depending on how it was configured.
        return Matches(url, parameters, signature) || (WithOtherPortForm(url) is { } other && Matches(other, parameters, signature));
    }

    /// <summary>
    /// The JSON-body variant: <paramref name="signature"/> signs <paramref name="url"/> (with no parameters appended), and
    /// the URL's <c>bodySHA256</c> query parameter is the SHA-256 hex of exactly <paramref name="body"/>.
    /// </summary>
    public bool VerifyBody(string url, ReadOnlySpan<byte> body, string? signature)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (string.IsNullOrEmpty(signature) || BodyHash(url) is not { } claimed)
        {
            return false;
        }

        var actual = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(body)));
        return CryptographicOperations.FixedTimeEquals(actual, Encoding.ASCII.GetBytes(claimed.ToLowerInvariant()))
            && (Matches(url, [], signature) || (WithOtherPortForm(url) is { } other && Matches(other, [], signature)));
    }

    /// <summary>The single <c>bodySHA256</c> value of the URL's query, or null when there is none (or more than one).</summary>
    public static string? BodyHash(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var query = url.IndexOf('?', StringComparison.Ordinal) is var start and >= 0 ? url[(start + 1)..] : string.Empty;
        var values = query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Where(pair => pair[0] == BodyHashParameter)
            .Select(pair => pair.Length == 2 ? Uri.UnescapeDataString(pair[1]) : string.Empty)
            .ToList();
        return values is [{ Length: > 0 } value] ? value : null;
    }

    private static string? WithOtherPortForm(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return null;
        }

        var builder = new UriBuilder(uri);
        var explicitPort = url.Contains($"{uri.Host}:{uri.Port}", StringComparison.OrdinalIgnoreCase);
        builder.Port = explicitPort ? -1 : uri.Port;
        return explicitPort ? builder.Uri.ToString() : builder.ToString();
    }

    private bool Matches(string url, List<KeyValuePair<string, string>> parameters, string signature)
    {
        var data = new StringBuilder(url);
        foreach (var (name, value) in parameters)
        {
            data.Append(name).Append(value);
        }

#pragma warning disable CA5350 // HMAC-SHA1 is Twilio's scheme; we verify it, we do not choose it.
        var expected = HMACSHA1.HashData(key, Encoding.UTF8.GetBytes(data.ToString()));
#pragma warning restore CA5350

        // Compared as text: base64 decoders ignore the trailing pad bits, so an altered last character could still decode equal.
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Convert.ToBase64String(expected)), Encoding.ASCII.GetBytes(signature));
    }
}
