using System.Buffers.Binary;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Activities.Channels;

/// <summary><c>Providers:WebPush</c>: the VAPID key pair (base64url, as browsers' <c>applicationServerKey</c> takes it).</summary>
public sealed class WebPushOptions : IProviderOptions
{
    public const string Section = "Providers:WebPush";

    /// <summary>RFC 8292 <c>sub</c>: a <c>mailto:</c> or <c>https:</c> contact for the push service operator.</summary>
    public string Subject { get; set; } = string.Empty;

    /// <summary>Uncompressed P-256 public key, 65 bytes, base64url.</summary>
    public string PublicKey { get; set; } = string.Empty;

    /// <summary>P-256 private scalar, 32 bytes, base64url. A secret.</summary>
    public string PrivateKey { get; set; } = string.Empty;

    /// <summary>RFC 8030 TTL: how long the push service keeps an undelivered message. The push step waits an hour.</summary>
    public int TtlSeconds { get; set; } = 3600;

    /// <summary>RFC 8030 Urgency: very-low, low, normal or high.</summary>
    public string Urgency { get; set; } = "normal";

    public IEnumerable<string> Problems()
    {
        if (!Subject.StartsWith("mailto:", StringComparison.Ordinal) && !Subject.StartsWith("https:", StringComparison.Ordinal))
        {
            yield return "Subject must be a mailto: or https: URI";
        }

        if (!TryKey(out _))
        {
            yield return "PublicKey/PrivateKey must be a matching P-256 key pair in base64url";
        }

        if (TtlSeconds < 0)
        {
            yield return "TtlSeconds must not be negative";
        }

        if (Urgency is not ("very-low" or "low" or "normal" or "high"))
        {
            yield return "Urgency must be very-low, low, normal or high";
        }
    }

    internal bool TryKey(out ECDsa? key)
    {
        key = null;
        try
        {
            var pub = Base64Url.DecodeFromChars(PublicKey);
            var d = Base64Url.DecodeFromChars(PrivateKey);
            if (pub.Length != 65 || pub[0] != 4 || d.Length != 32)
            {
                return false;
            }

            key = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = WebPushEncryption.Point(pub), D = d });
            var derived = key.ExportParameters(false).Q;
            return derived.X!.AsSpan().SequenceEqual(pub.AsSpan(1, 32)) && derived.Y!.AsSpan().SequenceEqual(pub.AsSpan(33, 32));
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            return false;
        }
    }
}

/// <summary>RFC 8291 message encryption (aes128gcm content coding, RFC 8188) for one push subscription.</summary>
public static class WebPushEncryption
{
    /// <summary>The record size we declare; one record carries the whole message.</summary>
    public const int RecordSize = 4096;

    /// <summary>The largest plaintext that fits one record with its delimiter and tag and the 86-byte header.</summary>
    public const int MaxPlaintext = RecordSize - 86 - 1 - 16;

    private static readonly byte[] CekInfo = "Content-Encoding: aes128gcm\0"u8.ToArray();
    private static readonly byte[] NonceInfo = "Content-Encoding: nonce\0"u8.ToArray();
    private static readonly byte[] KeyInfoPrefix = "WebPush: info\0"u8.ToArray();

    /// <summary>Encrypts <paramref name="plaintext"/> to the user agent's key with a new application server key pair
    /// (RFC 8291 §3.1: one per message) and a random salt; returns the full request body.</summary>
    /// <exception cref="CryptographicException"><paramref name="uaPublic"/> is not a point on P-256.</exception>
    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, byte[] uaPublic, byte[] authSecret)
    {
        Check(plaintext, uaPublic, authSecret);
        Span<byte> asPublic = stackalloc byte[65];
        Span<byte> ecdhSecret = stackalloc byte[32];
        Span<byte> salt = stackalloc byte[16];
        P256Agreement.Agree(uaPublic, asPublic, ecdhSecret);
        RandomNumberGenerator.Fill(salt);
        return Seal(plaintext, uaPublic, authSecret, asPublic, ecdhSecret, salt);
    }

    /// <summary>Encrypts <paramref name="plaintext"/> to the user agent's key, with the given sender (ephemeral) key
    /// and salt; returns the full request body: header (salt, rs, idlen, keyid) then the single record.</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, byte[] uaPublic, byte[] authSecret, ECDiffieHellman senderKey, byte[] salt)
    {
        ArgumentNullException.ThrowIfNull(senderKey);
        ArgumentNullException.ThrowIfNull(salt);
        Check(plaintext, uaPublic, authSecret);
        if (salt.Length != 16)
        {
            throw new ArgumentException("The salt must be 16 bytes.", nameof(salt));
        }

        var asPublic = PublicBytes(senderKey);
        using var ua = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = Point(uaPublic) });
        using var uaKey = ua.PublicKey;
        var ecdhSecret = senderKey.DeriveRawSecretAgreement(uaKey);
        return Seal(plaintext, uaPublic, authSecret, asPublic, ecdhSecret, salt);
    }

    private static void Check(ReadOnlySpan<byte> plaintext, byte[] uaPublic, byte[] authSecret)
    {
        ArgumentNullException.ThrowIfNull(uaPublic);
        ArgumentNullException.ThrowIfNull(authSecret);
        if (uaPublic.Length != 65 || uaPublic[0] != 4 || authSecret.Length != 16)
        {
            throw new ArgumentException("The subscription needs a 65-byte uncompressed p256dh key and a 16-byte auth secret.");
        }

        if (plaintext.Length > MaxPlaintext)
        {
            throw new ArgumentException($"A web push message holds at most {MaxPlaintext} bytes.", nameof(plaintext));
        }
    }

    /// <summary>RFC 8291 §3.3-3.4 and RFC 8188 §2 from the ECDH secret on: keys, then the header and the one record.</summary>
    private static byte[] Seal(
        ReadOnlySpan<byte> plaintext, byte[] uaPublic, byte[] authSecret, ReadOnlySpan<byte> asPublic, ReadOnlySpan<byte> ecdhSecret, ReadOnlySpan<byte> salt)
    {
        // RFC 8291 §3.4: IKM = HKDF(auth_secret, ecdh_secret, "WebPush: info" || 0x00 || ua_public || as_public, 32).
        Span<byte> keyInfo = stackalloc byte[KeyInfoPrefix.Length + 130];
        KeyInfoPrefix.CopyTo(keyInfo);
        uaPublic.CopyTo(keyInfo[KeyInfoPrefix.Length..]);
        asPublic.CopyTo(keyInfo[(KeyInfoPrefix.Length + 65)..]);
        Span<byte> prk = stackalloc byte[32];
        Span<byte> ikm = stackalloc byte[32];
        HKDF.Extract(HashAlgorithmName.SHA256, ecdhSecret, authSecret, prk);
        HKDF.Expand(HashAlgorithmName.SHA256, prk, ikm, keyInfo);

        // RFC 8188 §2.2/2.3: content-encryption key and nonce from the salt; one record, so the sequence number is 0.
        HKDF.Extract(HashAlgorithmName.SHA256, ikm, salt, prk);
        Span<byte> cek = stackalloc byte[16];
        Span<byte> nonce = stackalloc byte[12];
        HKDF.Expand(HashAlgorithmName.SHA256, prk, cek, CekInfo);
        HKDF.Expand(HashAlgorithmName.SHA256, prk, nonce, NonceInfo);

        var body = new byte[86 + plaintext.Length + 1 + 16];
        salt.CopyTo(body);
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(16, 4), RecordSize);
        body[20] = 65;
        asPublic.CopyTo(body.AsSpan(21));

        // The record: plaintext then the last-record delimiter (no padding), encrypted in place.
        var record = body.AsSpan(86, plaintext.Length + 1);
        plaintext.CopyTo(record);
        record[^1] = 2;
        using var gcm = new AesGcm(cek, 16);
        gcm.Encrypt(nonce, record, record, body.AsSpan(86 + record.Length, 16));
        return body;
    }

    /// <summary>Uncompressed point encoding (0x04 || X || Y) of a P-256 public key.</summary>
    public static byte[] PublicBytes(AsymmetricAlgorithm key)
    {
        var q = key switch
        {
            ECDiffieHellman dh => dh.ExportParameters(false).Q,
            ECDsa dsa => dsa.ExportParameters(false).Q,
            _ => throw new ArgumentException("Expected a P-256 key.", nameof(key)),
        };
        var bytes = new byte[65];
        bytes[0] = 4;
        q.X!.CopyTo(bytes, 1);
        q.Y!.CopyTo(bytes, 33);
        return bytes;
    }

    public static ECPoint Point(byte[] uncompressed) =>
        new() { X = uncompressed.AsSpan(1, 32).ToArray(), Y = uncompressed.AsSpan(33, 32).ToArray() };
}

/// <summary>RFC 8292 VAPID: an ES256 JWT per push service origin, reused until an hour before it expires.</summary>
public sealed class VapidSigner : IDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);
    private readonly ECDsa key;
    private readonly string subject;
    private readonly string publicKey;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<string, (string Header, DateTimeOffset Expires)> byAudience = new(StringComparer.Ordinal);

    public VapidSigner(IOptions<WebPushOptions> options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        if (!o.TryKey(out var parsed) || parsed is null)
        {
            throw new InvalidOperationException("Providers:WebPush has no valid VAPID key pair.");
        }

        key = parsed;
        subject = o.Subject;
        publicKey = o.PublicKey;
        this.time = time ?? TimeProvider.System;
    }

    /// <summary>The <c>Authorization</c> value for a request to <paramref name="endpoint"/>: <c>vapid t=…, k=…</c>.</summary>
    public string AuthorizationFor(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var audience = endpoint.GetLeftPart(UriPartial.Authority);
        var now = time.GetUtcNow();
        if (byAudience.TryGetValue(audience, out var cached) && cached.Expires - now > TimeSpan.FromHours(1))
        {
            return cached.Header;
        }

        var expires = now + Lifetime;
        var header = $"vapid t={Jwt(audience, expires)}, k={publicKey}";
        byAudience[audience] = (header, expires);
        return header;
    }

    public void Dispose() => key.Dispose();

    private string Jwt(string audience, DateTimeOffset expires)
    {
        var head = Base64Url.EncodeToString("{\"typ\":\"JWT\",\"alg\":\"ES256\"}"u8);
        var claims = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["aud"] = audience, ["exp"] = expires.ToUnixTimeSeconds(), ["sub"] = subject,
        }));
        var signingInput = $"{head}.{claims}";
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return $"{signingInput}.{Base64Url.EncodeToString(signature)}";
    }
}

/// <summary>Web push over RFC 8030: an encrypted notification POSTed to the subscription's endpoint.</summary>
public sealed class WebPushSender(HttpClient http, IOptions<WebPushOptions> options, VapidSigner vapid, IOptions<WebPushEndpointOptions> endpoints) : IChannelSender
{
    public const string Name = "webpush";

    public string Channel => Workflows.Channels.WebPush;

    public string Provider => Name;

    public async Task<ProviderReceipt> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var sub = message.Customer.WebPush
            ?? throw ProviderErrors.Rejected(Name, "the customer has no web push subscription", ProviderErrors.TokenInvalid, "web_push");

        // Checked again here, before any request: a subscription stored before the list existed (or before it changed)
        // must not make the Worker call an arbitrary URL.
        if (!endpoints.Value.Allows(sub.Endpoint))
        {
            throw ProviderErrors.Rejected(Name, $"the subscription's endpoint is not at an allowed push service ({WebPushEndpointOptions.Section}:AllowedHosts)", ProviderErrors.EndpointNotAllowed);
        }

        var payload = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string?>
        {
            ["title"] = MessageText.Title(message),
            ["body"] = MessageText.Body(message),
            ["url"] = MessageText.Link(message),
            ["image"] = MessageText.Image(message),
            ["message_id"] = message.MessageId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        byte[] body;
        Uri endpoint;
        try
        {
            endpoint = new Uri(sub.Endpoint, UriKind.Absolute);
            body = WebPushEncryption.Encrypt(payload, Base64Url.DecodeFromChars(sub.P256dh), Base64Url.DecodeFromChars(sub.Auth));
        }
        catch (Exception e) when (e is ArgumentException or FormatException or CryptographicException or UriFormatException)
        {
            throw ProviderErrors.Rejected(Name, $"unusable subscription: {e.Message}", ProviderErrors.TokenInvalid, "web_push");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
        request.Headers.TryAddWithoutValidation("Authorization", vapid.AuthorizationFor(endpoint));
        request.Headers.Add("TTL", options.Value.TtlSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("Urgency", options.Value.Urgency);

        // RFC 8030 §5.4: a retried send replaces, at the push service, a copy of itself not yet delivered.
        request.Headers.Add("Topic", MessageText.CollapseId(message.IdempotencyKey));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Content.Headers.ContentEncoding.Add("aes128gcm");

        using var response = await ProviderErrors.SendAsync(http, request, Name, cancellationToken, Gone, "web_push");
        return new ProviderReceipt(Name, response.Headers.Location?.ToString());
    }

    // RFC 8030 §7.3: 404/410 mean the subscription expired or was withdrawn.
    private static string? Gone(int status, string body) => status is 404 or 410 ? ProviderErrors.TokenInvalid : null;
}
