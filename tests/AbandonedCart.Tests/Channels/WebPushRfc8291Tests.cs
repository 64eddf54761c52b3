using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using AbandonedCart.Activities.Channels;

namespace AbandonedCart.Tests.Channels;

/// <summary>RFC 8291 message encryption: the worked example of §5 / Appendix A, and a round trip to a fresh key pair.</summary>
public sealed class WebPushRfc8291Tests
{
    // RFC 8291 Appendix A inputs.
    private const string Plaintext = "When I grow up, I want to be a watermelon";
    private const string AuthSecret = "BTBZMqHH6r4Tts7J_aSIgg";
    private const string UaPublic = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    private const string UaPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
    private const string AsPublic = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    private const string AsPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    private const string Salt = "DGv6ra1nlYgDCS1FRnbzlw";

    // RFC 8291 Appendix A outputs: the 86-octet header, the single record, and §5's whole message.
    private const string Header = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    private const string Ciphertext = "8pfeW0KbunFT06SuDKoJH9Ql87S1QUrdirN6GcG7sFz1y1sqLgVi1VhjVkHsUoEsbI_0LpXMuGvnzQ";
    private const string Message = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    [Fact]
    public void Encrypt_AppendixAInputs_ReproducesTheRfcMessageExactly()
    {
        using var sender = Key(AsPublic, AsPrivate);

        var body = WebPushEncryption.Encrypt(
            Encoding.UTF8.GetBytes(Plaintext), Base64Url.DecodeFromChars(UaPublic), Base64Url.DecodeFromChars(AuthSecret), sender, Base64Url.DecodeFromChars(Salt));

        Assert.Equal(Header, Base64Url.EncodeToString(body.AsSpan(0, 86)));
        Assert.Equal(Ciphertext, Base64Url.EncodeToString(body.AsSpan(86)));
        Assert.Equal(Message, Base64Url.EncodeToString(body));
    }

    [Fact]
    public void Decrypt_AppendixAMessage_WithTheUserAgentKey_GivesThePlaintext()
    {
        using var ua = Key(UaPublic, UaPrivate);

        var plaintext = Decrypt(Base64Url.DecodeFromChars(Message), ua, Base64Url.DecodeFromChars(AuthSecret));

        Assert.Equal(Plaintext, Encoding.UTF8.GetString(plaintext));
    }

    [Fact]
    public void Encrypt_ToAFreshSubscriptionKeyPair_RoundTrips()
    {
        using var ua = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var sender = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var auth = RandomNumberGenerator.GetBytes(16);
        var plaintext = Encoding.UTF8.GetBytes("{\"title\":\"Your cart misses you\",\"body\":\"Trail shoes\"}");

        var body = WebPushEncryption.Encrypt(plaintext, WebPushEncryption.PublicBytes(ua), auth, sender, RandomNumberGenerator.GetBytes(16));

        Assert.Equal(plaintext, Decrypt(body, ua, auth));
        Assert.Throws<AuthenticationTagMismatchException>(() => Decrypt(body, ua, RandomNumberGenerator.GetBytes(16)));
    }

    [Fact]
    public void Encrypt_WithItsOwnKeyPairAndSalt_RoundTripsAndNeverRepeatsEither()
    {
        using var ua = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var auth = RandomNumberGenerator.GetBytes(16);
        var plaintext = Encoding.UTF8.GetBytes("{\"title\":\"Your cart misses you\"}");

        var first = WebPushEncryption.Encrypt(plaintext, WebPushEncryption.PublicBytes(ua), auth);
        var second = WebPushEncryption.Encrypt(plaintext, WebPushEncryption.PublicBytes(ua), auth);

        Assert.Equal(plaintext, Decrypt(first, ua, auth));
        Assert.Equal(plaintext, Decrypt(second, ua, auth));
        Assert.NotEqual(first[..16], second[..16]); // salt
        Assert.NotEqual(first[21..86], second[21..86]); // RFC 8291 §3.1: a new application server key per message
    }

    [Theory]
    [InlineData("y+1")]
    [InlineData("x=p")]
    [InlineData("zero")]
    public void Encrypt_SubscriptionKeyNotAPointOnP256_IsRefused(string damage)
    {
        using var ua = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var point = WebPushEncryption.PublicBytes(ua);
        switch (damage)
        {
            case "y+1":
                point[64] ^= 1;
                break;
            case "x=p":
                Convert.FromHexString("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF").CopyTo(point, 1);
                break;
            default:
                Array.Clear(point, 1, 64);
                break;
        }

        Assert.ThrowsAny<CryptographicException>(() => WebPushEncryption.Encrypt("hi"u8, point, new byte[16]));
        using var sender = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        Assert.ThrowsAny<CryptographicException>(() => WebPushEncryption.Encrypt("hi"u8, point, new byte[16], sender, new byte[16]));
    }

    [Fact]
    public void Encrypt_PlaintextLongerThanOneRecord_IsRefused()
    {
        using var ua = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var sender = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

        Assert.Throws<ArgumentException>(() => WebPushEncryption.Encrypt(
            new byte[WebPushEncryption.MaxPlaintext + 1], WebPushEncryption.PublicBytes(ua), new byte[16], sender, new byte[16]));
    }

    internal static ECDiffieHellman Key(string publicKey, string privateKey) => ECDiffieHellman.Create(new ECParameters
    {
        Curve = ECCurve.NamedCurves.nistP256,
        Q = WebPushEncryption.Point(Base64Url.DecodeFromChars(publicKey)),
        D = Base64Url.DecodeFromChars(privateKey),
    });

    /// <summary>The user agent's side (RFC 8291 §3, RFC 8188 §2), written from the RFC text independently of the sender.</summary>
    internal static byte[] Decrypt(byte[] body, ECDiffieHellman ua, byte[] auth)
    {
        var salt = body[..16];
        var recordSize = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(16, 4));
        Assert.Equal(65, body[20]);
        var asPublic = body[21..86];
        Assert.True(body.Length - 86 <= recordSize);

        using var sender = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = WebPushEncryption.Point(asPublic) });
        var secret = ua.DeriveRawSecretAgreement(sender.PublicKey);
        byte[] info = [.. "WebPush: info\0"u8, .. WebPushEncryption.PublicBytes(ua), .. asPublic];
        var ikm = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, auth, info);
        var cek = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 16, salt, "Content-Encoding: aes128gcm\0"u8.ToArray());
        var nonce = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 12, salt, "Content-Encoding: nonce\0"u8.ToArray());

        var record = body[86..];
        var padded = new byte[record.Length - 16];
        using var gcm = new AesGcm(cek, 16);
        gcm.Decrypt(nonce, record[..^16], record[^16..], padded);
        var end = Array.FindLastIndex(padded, b => b != 0);
        Assert.Equal(2, padded[end]); // the last record's delimiter
        return padded[..end];
    }
}
